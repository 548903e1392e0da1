"""Zones and zone settings."""
from __future__ import annotations

import re

from .core import CFError, paginate, route

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
NAME_OPERATORS = ("not_equal", "starts_with_case_sensitive", "ends_with_case_sensitive", "contains_case_sensitive",
                  "starts_with", "ends_with", "contains", "equal")

ON_OFF = ("on", "off")
# id -> (allowed values, or a type; default). From the SDK's setting models (reference Appendix 1).
SETTINGS = {
    "0rtt": (ON_OFF, "off"), "advanced_ddos": (ON_OFF, "on"), "always_online": (ON_OFF, "off"),
    "always_use_https": (ON_OFF, "off"), "automatic_https_rewrites": (ON_OFF, "on"), "brotli": (ON_OFF, "on"),
    "browser_cache_ttl": (int, 14400), "browser_check": (ON_OFF, "on"),
    "cache_level": (("aggressive", "basic", "simplified"), "aggressive"),
    "challenge_ttl": ((300, 900, 1800, 2700, 3600, 7200, 10800, 14400, 28800, 57600, 86400, 604800, 2592000,
                       31536000), 1800),
    "ciphers": (list, []), "cname_flattening": (("flatten_at_root", "flatten_all"), "flatten_at_root"),
    "development_mode": (ON_OFF, "off"), "early_hints": (ON_OFF, "off"), "email_obfuscation": (ON_OFF, "on"),
    "h2_prioritization": (("on", "off", "custom"), "off"), "hotlink_protection": (ON_OFF, "off"),
    "http2": (ON_OFF, "on"), "http3": (ON_OFF, "on"), "image_resizing": (("on", "off", "open"), "off"),
    "ip_geolocation": (ON_OFF, "on"), "ipv6": (ON_OFF, "on"),
    "max_upload": ((100, 125, 150, 175, 200, 225, 250, 275, 300, 325, 350, 375, 400, 425, 450, 475, 500, 1000, 1500,
                    2000, 2500, 3000, 3500, 4000, 4500, 5000), 100),
    "min_tls_version": (("1.0", "1.1", "1.2", "1.3"), "1.0"), "mirage": (ON_OFF, "off"),
    "nel": (dict, {"enabled": False}), "opportunistic_encryption": (ON_OFF, "on"),
    "opportunistic_onion": (ON_OFF, "on"), "orange_to_orange": (ON_OFF, "off"),
    "origin_error_page_pass_thru": (ON_OFF, "off"),
    # "2" on every plan but Enterprise (setting_get_response.py docstring); emulated zones are Free.
    "origin_max_http_version": (("2", "1"), "2"),
    "polish": (("off", "lossless", "lossy"), "off"), "prefetch_preload": (ON_OFF, "off"),
    "privacy_pass": (ON_OFF, "on"), "proxy_read_timeout": (float, 100),
    "pseudo_ipv4": (("off", "add_header", "overwrite_header"), "off"), "replace_insecure_js": (ON_OFF, "on"),
    "response_buffering": (ON_OFF, "off"), "rocket_loader": (ON_OFF, "off"),
    "security_header": (dict, {"strict_transport_security": {"enabled": False, "max_age": 0,
                                                             "include_subdomains": False, "preload": False,
                                                             "nosniff": False}}),
    "security_level": (("off", "essentially_off", "low", "medium", "high", "under_attack"), "medium"),
    "server_side_exclude": (ON_OFF, "on"), "sort_query_string_for_cache": (ON_OFF, "off"),
    "ssl": (("off", "flexible", "full", "strict"), "flexible"), "tls_1_2_only": (ON_OFF, "off"),
    "tls_1_3": (("on", "off", "zrt"), "on"), "tls_client_auth": (ON_OFF, "off"),
    "true_client_ip_header": (ON_OFF, "off"), "waf": (ON_OFF, "off"), "webp": (ON_OFF, "off"),
    "websockets": (ON_OFF, "on"),
    # Added from reference Appendix 1 (the SDK's 66 setting variants) where the table above had no entry.
    "aegis": (dict, {"enabled": False}), "china_network_enabled": (ON_OFF, "off"),
    "content_converter": (ON_OFF, "off"),
    "edge_cache_ttl": ((30, 60, 300, 1200, 1800, 3600, 7200, 10800, 14400, 18000, 28800, 43200, 57600, 72000, 86400,
                        172800, 259200, 345600, 432000, 518400, 604800), 7200),
    "origin_h2_max_streams": (int, 100), "pre_render": (ON_OFF, "off"), "redirects_for_ai_training": (ON_OFF, "off"),
    "automatic_platform_optimization": (dict, {"enabled": False, "cf": False, "wordpress": False, "wp_plugin": False,
                                               "hostnames": [], "cache_by_device_type": False}),
    "search_for_agents": (ON_OFF, "off"), "sha1_support": (ON_OFF, "off"), "ssl_recommender": (bool, False),
    "transformations": (("on", "off", "open"), "off"), "transformations_allowed_origins": (str, "*"),
    "webmcp_enabled": (ON_OFF, "off"), "webmcp_packs": (str, ""),
}
# Not part of the aggregate GET /zones/{id}/settings listing (its shape is {id, enabled}, not {id, value}).
NOT_LISTED = ("ssl_recommender",)


def zone_view(st, zone):
    acc = st.data["accounts"].get(zone["account_id"], {"id": zone["account_id"], "name": ""})
    view = {k: v for k, v in zone.items() if k not in ("account_id", "settings")}
    view["account"] = {"id": acc["id"], "name": acc["name"]}
    view["owner"] = {"id": None, "name": acc["name"], "type": "organization"}
    return view


def _valid_zone_name(name):
    if not isinstance(name, str) or not name or len(name) > 253 or "." not in name:
        return False
    return all(LABEL.match(label) for label in name.split("."))


@route("POST", "/zones")
def create_zone(req, st):
    body = req.json
    name = body.get("name")
    account = (body.get("account") or {}).get("id")
    if not account:
        raise CFError(400, 1001, "account.id is required", pointer="/account/id")
    st.account(account)
    if not isinstance(name, str):
        raise CFError(400, 1001, "name is required", pointer="/name")
    name = name.strip().lower().rstrip(".")
    if not _valid_zone_name(name):
        raise CFError(400, 1097, "This zone name is not valid", pointer="/name")
    ztype = body.get("type", "full")
    if ztype not in ("full", "partial", "secondary", "internal"):
        raise CFError(400, 1001, "type must be one of full, partial, secondary, internal", pointer="/type")
    if any(z["name"] == name for z in st.data["zones"].values()):
        raise CFError(400, 1061, "%s already exists" % name)
    zone_id = st.new_id()
    now = st.now()
    ns = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]
    zone = {
        "id": zone_id, "name": name, "account_id": account, "status": "pending", "paused": False, "type": ztype,
        "development_mode": 0, "name_servers": ns, "original_name_servers": None, "original_registrar": None,
        "original_dnshost": None, "created_on": now, "modified_on": now, "activated_on": None,
        "vanity_name_servers": [], "permissions": ["#zone:read", "#zone:edit"],
        "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": False,
                 "cdn_only": False, "dns_only": False, "foundation_dns": False},
        "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "price": 0, "currency": "USD",
                 "frequency": "", "is_subscribed": False, "can_subscribe": False, "legacy_id": "free",
                 "legacy_discount": False, "externally_managed": False},
        "cname_suffix": None, "settings": {},
    }
    if ztype == "partial":
        zone["verification_key"] = "%s-%s" % (zone_id[:10], zone_id[10:20])
        zone["cname_suffix"] = "cdn.cloudflare.net"
    st.data["zones"][zone_id] = zone
    return zone_view(st, zone)


def _name_filter(expr):
    for op in NAME_OPERATORS:
        if expr.startswith(op + ":"):
            return op, expr[len(op) + 1:]
    return "equal", expr


def _matches_name(name, expr):
    op, value = _name_filter(expr)
    if not op.endswith("case_sensitive"):
        value = value.lower()
    checks = {
        "equal": name == value, "not_equal": name != value,
        "starts_with": name.startswith(value), "ends_with": name.endswith(value), "contains": value in name,
    }
    return checks[op.replace("_case_sensitive", "")]


@route("GET", "/zones")
def list_zones(req, st):
    zones = sorted(st.data["zones"].values(), key=lambda z: z["name"])
    types = []
    for value in req.args("type"):
        types.extend(v for v in value.split(",") if v)
    if types:
        zones = [z for z in zones if z["type"] in types]
    else:
        zones = [z for z in zones if z["type"] != "internal"]
    if req.arg("name"):
        zones = [z for z in zones if _matches_name(z["name"], req.arg("name"))]
    if req.arg("account.id"):
        zones = [z for z in zones if z["account_id"] == req.arg("account.id")]
    if req.arg("status"):
        zones = [z for z in zones if z["status"] == req.arg("status")]
    if req.arg("direction") == "desc":
        zones.reverse()
    return paginate(req, [zone_view(st, z) for z in zones], default_per_page=20, max_per_page=50)


@route("GET", "/zones/{zone_id}")
def get_zone(req, st, zone_id):
    return zone_view(st, st.zone(zone_id))


@route("PATCH", "/zones/{zone_id}")
def edit_zone(req, st, zone_id):
    zone = st.zone(zone_id)
    body = req.json
    unknown = set(body) - {"paused", "type", "vanity_name_servers", "plan"}
    if unknown:
        raise CFError(400, 1001, "unknown field(s): %s" % ", ".join(sorted(unknown)))
    if "paused" in body:
        if not isinstance(body["paused"], bool):
            raise CFError(400, 1001, "paused must be a boolean", pointer="/paused")
        zone["paused"] = body["paused"]
    if "type" in body:
        if body["type"] not in ("full", "partial", "secondary", "internal"):
            raise CFError(400, 1001, "type must be one of full, partial, secondary, internal", pointer="/type")
        zone["type"] = body["type"]
        if body["type"] == "partial":
            zone.setdefault("verification_key", "%s-%s" % (zone_id[:10], zone_id[10:20]))
    if "vanity_name_servers" in body:
        zone["vanity_name_servers"] = list(body["vanity_name_servers"])
    zone["modified_on"] = st.now()
    return zone_view(st, zone)


@route("DELETE", "/zones/{zone_id}")
def delete_zone(req, st, zone_id):
    st.zone(zone_id)
    del st.data["zones"][zone_id]
    for key, coll in list(st.data.items()):
        if key.startswith("zone:") and isinstance(coll, dict):
            coll.pop(zone_id, None)
    return {"id": zone_id}


# --- settings ------------------------------------------------------------------------------------------------


def _setting_view(zone, setting_id):
    allowed, default = SETTINGS[setting_id]
    value = zone["settings"].get(setting_id, default)
    view = {"id": setting_id, "value": value, "editable": True,
            "modified_on": zone["settings"].get("_modified_" + setting_id)}
    if setting_id == "ssl_recommender":
        view = {"id": setting_id, "enabled": value}
    if setting_id == "development_mode":
        view["time_remaining"] = 10800 if value == "on" else 0
    return view


def _check_value(setting_id, value):
    allowed, default = SETTINGS[setting_id]
    ok = True
    if isinstance(allowed, tuple):
        ok = value in allowed and not isinstance(value, bool)
    elif allowed is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif allowed is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value <= 6000
    elif allowed is bool:
        ok = isinstance(value, bool)
    elif allowed is str:
        ok = isinstance(value, str)
    elif allowed is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif allowed is dict:
        ok = isinstance(value, dict)
    if not ok:
        raise CFError(400, 1007, "Invalid value for zone setting %s" % setting_id, pointer="/value")
    if setting_id == "security_header":
        hsts = value.get("strict_transport_security")
        known = {"enabled", "max_age", "include_subdomains", "preload", "nosniff"}
        if not isinstance(hsts, dict) or set(hsts) - known:
            raise CFError(400, 1007, "Invalid value for zone setting security_header", pointer="/value")
        merged = dict(SETTINGS["security_header"][1]["strict_transport_security"])
        merged.update(hsts)
        if not isinstance(merged["max_age"], int) or not 0 <= merged["max_age"] <= 31536000:
            raise CFError(400, 1007, "max_age must be between 0 and 31536000", pointer="/value")
        return {"strict_transport_security": merged}
    if setting_id == "browser_cache_ttl" and value not in (0, 30, 60, 120, 300, 1200, 1800, 3600, 7200, 10800,
                                                           14400, 18000, 28800, 43200, 57600, 72000, 86400, 172800,
                                                           259200, 345600, 432000, 691200, 1382400, 2073600,
                                                           2678400, 5356800, 16070400, 31536000):
        raise CFError(400, 1007, "Invalid value for zone setting browser_cache_ttl", pointer="/value")
    return value


def _known_setting(setting_id):
    if setting_id not in SETTINGS:
        raise CFError(404, 1003, "Invalid or missing zone setting: %s" % setting_id)


@route("GET", "/zones/{zone_id}/settings/{setting_id}")
def get_setting(req, st, zone_id, setting_id):
    zone = st.zone(zone_id)
    _known_setting(setting_id)
    return _setting_view(zone, setting_id)


@route("PATCH", "/zones/{zone_id}/settings/{setting_id}")
def edit_setting(req, st, zone_id, setting_id):
    zone = st.zone(zone_id)
    _known_setting(setting_id)
    field = "enabled" if setting_id == "ssl_recommender" else "value"
    if field not in req.json:
        raise CFError(400, 1001, "%s is required" % field, pointer="/" + field)
    zone["settings"][setting_id] = _check_value(setting_id, req.json[field])
    zone["settings"]["_modified_" + setting_id] = st.now()
    return _setting_view(zone, setting_id)


@route("GET", "/zones/{zone_id}/settings")
def list_settings(req, st, zone_id):
    zone = st.zone(zone_id)
    return [_setting_view(zone, sid) for sid in sorted(SETTINGS) if sid not in NOT_LISTED]


@route("PATCH", "/zones/{zone_id}/settings")
def edit_settings(req, st, zone_id):
    zone = st.zone(zone_id)
    items = req.json.get("items")
    if not isinstance(items, list):
        raise CFError(400, 1001, "items is required", pointer="/items")
    checked = []
    for item in items:
        _known_setting(item.get("id"))
        if item["id"] in NOT_LISTED:
            raise CFError(400, 1007, "Invalid value for zone setting %s" % item["id"], pointer="/items")
        checked.append((item["id"], _check_value(item["id"], item.get("value"))))
    now = st.now()
    for setting_id, value in checked:
        zone["settings"][setting_id] = value
        zone["settings"]["_modified_" + setting_id] = now
    return [_setting_view(zone, sid) for sid, _value in checked]
