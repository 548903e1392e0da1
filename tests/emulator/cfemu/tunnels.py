"""Cloudflare Tunnels (cfd_tunnel): CRUD, list with filters, remote configuration, token, connections.

Facts: reference/cloudflare-api.md B (Tunnels) and C9, SDK types shared/cloudflare_tunnel.py and
zero_trust/tunnels/cloudflared/*. Deleted tunnels are kept with ``deleted_at`` (the list's ``is_deleted`` filter
shows them). The tunnel secret is stored but never returned, except inside the token. Error codes marked
"emulator-chosen" are not documented by Cloudflare.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import uuid

from .core import CFError, control_route, paginate, route

TUNNELS = "cfd_tunnels"
CONFIG_SRC = ("local", "cloudflare")
STATUSES = ("inactive", "degraded", "healthy", "down")
SERVICE = re.compile(r"^(https?|tcp|ssh|rdp|smb|unix|unix\+tls)://\S+$|^unix(\+tls)?:/\S+$|^http_status:[1-5][0-9]{2}$"
                     r"|^hello_world$|^bastion$")
HOSTNAME = re.compile(r"^(\*\.)?((?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)$")
# originRequest wire keys (camelCase) and their JSON types, from configuration_update_params.py
ORIGIN_REQUEST = {
    "access": dict, "caPool": str, "connectTimeout": int, "disableChunkedEncoding": bool, "http2Origin": bool,
    "httpHostHeader": str, "keepAliveConnections": int, "keepAliveTimeout": int, "matchSNItoHost": bool,
    "noHappyEyeballs": bool, "noTLSVerify": bool, "originServerName": str, "proxyType": str, "tcpKeepAlive": int,
    "tlsTimeout": int,
}
ACCESS = {"audTag": list, "teamName": str, "required": bool}


def _tunnels(st, account_id):
    st.account(account_id)
    return st.coll(TUNNELS).setdefault(account_id, {})


def _view(t):
    return {k: t[k] for k in ("id", "account_tag", "config_src", "connections", "conns_active_at",
                              "conns_inactive_at", "created_at", "deleted_at", "metadata", "name", "remote_config",
                              "status", "tun_type")}


def _secret(value, pointer="/tunnel_secret"):
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < 32:
        raise CFError(400, 1003, "tunnel_secret must be at least 32 bytes, encoded as base64", pointer=pointer)
    return value


def _name(value):
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise CFError(400, 1003, "name is required (1 to 255 characters)", pointer="/name")
    return value


def _tunnel(st, account_id, tunnel_id, deleted_ok=True):
    t = _tunnels(st, account_id).get(tunnel_id)
    if t is None or (t["deleted_at"] and not deleted_ok):
        raise CFError(404, 1002, "Tunnel not found")  # emulator-chosen code
    return t


@route("POST", "/accounts/{account_id}/cfd_tunnel")
def create_tunnel(req, st, account_id):
    tunnels = _tunnels(st, account_id)
    body = req.json
    name = _name(body.get("name"))
    config_src = body.get("config_src", "local")
    if config_src not in CONFIG_SRC:
        raise CFError(400, 1003, "config_src must be local or cloudflare", pointer="/config_src")
    secret = _secret(body["tunnel_secret"]) if body.get("tunnel_secret") is not None else \
        base64.b64encode(os.urandom(32)).decode()
    if any(t["name"] == name and not t["deleted_at"] for t in tunnels.values()):
        raise CFError(409, 1013, "You already have a tunnel with this name")  # emulator-chosen code
    tid = str(uuid.uuid4())
    tunnel = {"id": tid, "account_tag": account_id, "config_src": config_src, "connections": [],
              "conns_active_at": None, "conns_inactive_at": None, "created_at": st.now(), "deleted_at": None,
              "metadata": {}, "name": name, "remote_config": config_src == "cloudflare", "status": "inactive",
              "tun_type": "cfd_tunnel", "secret": secret, "configuration": None}
    tunnels[tid] = tunnel
    return _view(tunnel)


def _truthy(value):
    return value.lower() in ("true", "1")


@route("GET", "/accounts/{account_id}/cfd_tunnel")
def list_tunnels(req, st, account_id):
    items = sorted(_tunnels(st, account_id).values(), key=lambda t: t["created_at"])
    deleted = req.arg("is_deleted")
    if deleted not in (None, ""):
        want = _truthy(deleted)
        items = [t for t in items if bool(t["deleted_at"]) == want]
    if req.arg("name"):
        items = [t for t in items if t["name"] == req.arg("name")]
    if req.arg("uuid"):
        items = [t for t in items if t["id"] == req.arg("uuid")]
    if req.arg("include_prefix"):
        items = [t for t in items if t["name"].startswith(req.arg("include_prefix"))]
    if req.arg("exclude_prefix"):
        items = [t for t in items if not t["name"].startswith(req.arg("exclude_prefix"))]
    if req.arg("status"):
        if req.arg("status") not in STATUSES:
            raise CFError(400, 1003, "status must be one of %s" % ", ".join(STATUSES))
        items = [t for t in items if t["status"] == req.arg("status")]
    return paginate(req, [_view(t) for t in items], default_per_page=20, max_per_page=1000, min_per_page=1)


@route("GET", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}")
def get_tunnel(req, st, account_id, tunnel_id):
    return _view(_tunnel(st, account_id, tunnel_id))


@route("PATCH", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}")
def edit_tunnel(req, st, account_id, tunnel_id):
    t = _tunnel(st, account_id, tunnel_id, deleted_ok=False)
    body = req.json
    unknown = set(body) - {"name", "tunnel_secret"}
    if unknown:
        raise CFError(400, 1003, "unknown field(s): %s" % ", ".join(sorted(unknown)))
    if "name" in body:
        name = _name(body["name"])
        if any(o["name"] == name and not o["deleted_at"] and o["id"] != t["id"]
               for o in _tunnels(st, account_id).values()):
            raise CFError(409, 1013, "You already have a tunnel with this name")
        t["name"] = name
    if "tunnel_secret" in body:
        t["secret"] = _secret(body["tunnel_secret"])
    return _view(t)


@route("DELETE", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}")
def delete_tunnel(req, st, account_id, tunnel_id):
    t = _tunnel(st, account_id, tunnel_id, deleted_ok=False)
    if t["connections"]:
        raise CFError(400, 1022, "Cannot delete a tunnel with active connections; clean them up first")
    t["deleted_at"] = st.now()
    return _view(t)


# --- configuration -----------------------------------------------------------------------------------------------


def _check_origin_request(value, pointer):
    if not isinstance(value, dict):
        raise CFError(400, 1056, "originRequest must be an object", pointer=pointer)
    for key, item in value.items():
        kind = ORIGIN_REQUEST.get(key)
        if kind is None:
            raise CFError(400, 1056, "unknown originRequest field %s" % key, pointer="%s/%s" % (pointer, key))
        ok = isinstance(item, kind) and not (kind is int and isinstance(item, bool))
        if not ok:
            raise CFError(400, 1056, "originRequest %s must be a %s" % (key, kind.__name__),
                          pointer="%s/%s" % (pointer, key))
        if key == "access":
            for sub, sub_value in item.items():
                if ACCESS.get(sub) is None or not isinstance(sub_value, ACCESS[sub]):
                    raise CFError(400, 1056, "invalid originRequest access field %s" % sub,
                                  pointer="%s/access/%s" % (pointer, sub))
            if "audTag" not in item or "teamName" not in item:
                raise CFError(400, 1056, "originRequest access needs audTag and teamName", pointer=pointer + "/access")


def _check_config(config):
    """As cloudflared validates ingress: rules hostname->service, the last one a catch-all."""
    if not isinstance(config, dict):
        raise CFError(400, 1055, "config must be an object", pointer="/config")
    if "originRequest" in config:
        _check_origin_request(config["originRequest"], "/config/originRequest")
    ingress = config.get("ingress")
    if ingress is None:
        return
    if not isinstance(ingress, list) or not ingress:
        raise CFError(400, 1055, "ingress must be a non-empty list of rules", pointer="/config/ingress")
    for i, rule in enumerate(ingress):
        pointer = "/config/ingress/%d" % i
        if not isinstance(rule, dict):
            raise CFError(400, 1055, "ingress rules must be objects", pointer=pointer)
        unknown = set(rule) - {"hostname", "service", "path", "originRequest"}
        if unknown:
            raise CFError(400, 1055, "unknown ingress field(s) %s" % ", ".join(sorted(unknown)), pointer=pointer)
        service = rule.get("service")
        if not isinstance(service, str) or not SERVICE.match(service):
            raise CFError(400, 1055, "Ingress rule %d: invalid service %r" % (i, service), pointer=pointer + "/service")
        hostname = rule.get("hostname")
        if hostname not in (None, "") and (not isinstance(hostname, str) or not HOSTNAME.match(hostname)):
            raise CFError(400, 1055, "Ingress rule %d: invalid hostname %r" % (i, hostname),
                          pointer=pointer + "/hostname")
        if "originRequest" in rule:
            _check_origin_request(rule["originRequest"], pointer + "/originRequest")
    last = ingress[-1]
    if last.get("hostname") or last.get("path"):
        raise CFError(400, 1055, "The last ingress rule must match all URLs (it must not have a hostname or path "
                      "filter)", pointer="/config/ingress/%d" % (len(ingress) - 1))


def _config_view(t, account_id):
    c = t["configuration"] or {}
    return {"account_id": account_id, "tunnel_id": t["id"], "config": c.get("config"), "source": "cloudflare",
            "version": c.get("version", 0), "created_at": c.get("created_at", t["created_at"])}


@route("GET", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations")
def get_configuration(req, st, account_id, tunnel_id):
    return _config_view(_tunnel(st, account_id, tunnel_id, deleted_ok=False), account_id)


@route("PUT", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations")
def put_configuration(req, st, account_id, tunnel_id):
    t = _tunnel(st, account_id, tunnel_id, deleted_ok=False)
    config = req.json.get("config")
    _check_config(config)
    version = (t["configuration"] or {}).get("version", 0) + 1
    t["configuration"] = {"config": json.loads(json.dumps(config)), "version": version, "created_at": st.now()}
    # A remotely managed configuration makes the tunnel remotely managed (as the dashboard's migration does).
    t["config_src"] = "cloudflare"
    t["remote_config"] = True
    return _config_view(t, account_id)


@route("GET", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/token")
def get_token(req, st, account_id, tunnel_id):
    t = _tunnel(st, account_id, tunnel_id, deleted_ok=False)
    token = json.dumps({"a": account_id, "t": t["id"], "s": t["secret"]}, separators=(",", ":"))
    return base64.b64encode(token.encode()).decode()


@route("GET", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/connections")
def get_connections(req, st, account_id, tunnel_id):
    """The connectors (clients), each with its connections (SDK cloudflared/client.py: Client, Conn)."""
    t = _tunnel(st, account_id, tunnel_id)
    clients = {}
    for conn in t["connections"]:
        client = clients.setdefault(conn["client_id"], {
            "id": conn["client_id"], "arch": "linux_amd64", "config_version": (t["configuration"] or {}).get("version", 0),
            "conns": [], "features": [], "run_at": conn["opened_at"], "version": conn["client_version"]})
        client["conns"].append(conn)
    return list(clients.values())


@route("DELETE", "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/connections")
def delete_connections(req, st, account_id, tunnel_id):
    t = _tunnel(st, account_id, tunnel_id, deleted_ok=False)
    client_id = req.arg("client_id")
    t["connections"] = [c for c in t["connections"] if client_id and c.get("client_id") != client_id]
    if not t["connections"] and t["status"] != "inactive":
        t["status"] = "down"
        t["conns_inactive_at"] = st.now()
    return {}


@control_route("POST", "/tunnels/{tunnel_id}/connect")
def connect(req, st, tunnel_id):
    """Pretend a cloudflared connector connected: one connection, status healthy (tests of delete/cleanup)."""
    for tunnels in st.coll(TUNNELS).values():
        t = tunnels.get(tunnel_id)
        if t is not None:
            now = st.now()
            client_id = str(uuid.uuid4())
            t["connections"].append({"id": str(uuid.uuid4()), "client_id": client_id, "client_version": "2025.1.0",
                                     "colo_name": "fra01", "is_pending_reconnect": False, "opened_at": now,
                                     "origin_ip": "192.0.2.10", "uuid": str(uuid.uuid4())})
            t["status"] = "healthy"
            t["conns_active_at"] = now
            return {"ok": True, "client_id": client_id}
    raise CFError(404, 1002, "Tunnel not found")
