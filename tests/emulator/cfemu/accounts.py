"""Accounts, token verification and Cloudflare's published IP ranges."""
from __future__ import annotations

import hashlib

from .core import CFError, paginate, route

IPV4_CIDRS = [
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
    "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
    "162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
]
IPV6_CIDRS = [
    "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32",
    "2a06:98c0::/29", "2c0f:f248::/32",
]


@route("GET", "/user/tokens/verify")
def verify_token(req, st):
    return {"id": "e" * 32, "status": "active"}, [{"code": 10000, "message": "This API Token is valid and active",
                                                   "type": None}]


@route("GET", "/accounts/{account_id}/tokens/verify")
def verify_account_token(req, st, account_id):
    st.account(account_id)
    return verify_token(req, st)


def _account_view(acc):
    return {"id": acc["id"], "name": acc["name"], "type": "standard",
            "settings": {"enforce_twofactor": False, "abuse_contact_email": None},
            "created_on": "2024-01-01T00:00:00Z"}


@route("GET", "/accounts")
def list_accounts(req, st):
    accounts = [_account_view(a) for a in st.data["accounts"].values()]
    name = req.arg("name")
    if name:
        accounts = [a for a in accounts if a["name"].lower() == name.lower()]
    return paginate(req, accounts, default_per_page=20, max_per_page=50)


@route("GET", "/accounts/{account_id}")
def get_account(req, st, account_id):
    return _account_view(st.account(account_id))


@route("GET", "/ips")
def list_ips(req, st):
    ranges = st.data.get("ips") or {"ipv4_cidrs": IPV4_CIDRS, "ipv6_cidrs": IPV6_CIDRS}
    result = {"ipv4_cidrs": list(ranges["ipv4_cidrs"]), "ipv6_cidrs": list(ranges["ipv6_cidrs"]),
              "etag": hashlib.sha1(" ".join(ranges["ipv4_cidrs"] + ranges["ipv6_cidrs"]).encode()).hexdigest()[:32]}
    if req.arg("networks") == "jdcloud":
        result["jdcloud_cidrs"] = []
    elif req.arg("networks") not in (None, ""):
        raise CFError(400, 1001, "networks must be jdcloud")
    return result
