"""Load balancing: monitors and pools (account level), load balancers (zone level), pool health, and a simulation
of what Cloudflare would do with them.

API (as the SDK calls it, reference section B): /accounts/{a}/load_balancers/monitors[/{id}[/preview|/references]],
/accounts/{a}/load_balancers/pools[/{id}[/health|/preview|/references]], /accounts/{a}/load_balancers/preview/{id},
/zones/{z}/load_balancers[/{id}]. Lists are single pages. Validation and server defaults follow reference C4-C6;
origins come back sorted by name; the monitor's timeout is ``timeout`` on the wire; origin headers are
``{"Host": [...]}``.

Deviations, by choice: pool names and monitor descriptions are not unique (as far as is known Cloudflare does not
enforce it; the modules fail clearly on duplicates); origins with loopback, private or documentation addresses
need no virtual_network_id (so tests can point pools at local servers); error codes are 1001 (unknown field or
type), 1002 (validation), 1003 (not found), 1008 (duplicate hostname), 1013 (still referenced), 1018 (plan),
1101 (pool name): Cloudflare publishes no list, so only the HTTP status and the message are meant to be relied on.

Simulation (control API, not logged, under /__emulator__/lb):
- POST /lb/probe {rounds?, pool?, timeout_cap?}: one (or N) synchronous probe rounds. Each monitor really probes
  the enabled origins of the enabled pools that use it: HTTP/HTTPS with the monitor's method, path, headers (the
  origin's Host header wins over the monitor's, as on Cloudflare), expected_codes, expected_body (case-insensitive),
  follow_redirects, allow_insecure and timeout; TCP connects; SMTP reads a 220 banner. ``retries`` are immediate
  re-tries after a connection failure or timeout; an origin turns unhealthy after ``consecutive_down`` (at least 1)
  failed checks in a row and healthy again after ``consecutive_up`` (at least 1) passed ones. Probe port: the
  monitor's port, else the origin's port, else 80/443.
  Probes go ONLY to loopback addresses and to the private addresses (10/8, 172.16/12, 192.168/16) a test added
  with POST /lb/allow {addresses: [...]} (default: loopback only). Hostnames are not resolved (except
  ``localhost``); origins that may not be probed, and udp_icmp / icmp_ping monitors, keep their state and report
  "not probed: ...". Never-probed origins count as healthy (as a new pool does until its first check).
- POST|DELETE /lb/background {interval, timeout_cap?}: run probe rounds in a background thread.
- POST /lb/health {pool, origin, healthy, reason?}: force an origin's state (a shortcut for steering tests).
- POST /lb/steer {hostname, country?, region?, pop?, cookie?, client_ip?, headers?, path?, seed?, failing?,
  latitude?, longitude?, resolver_country?, ecs_country?} -> {pool, pool_name, origin, address, port, reason,
  set_cookie, session, located_by, ...}. For a non-proxied load balancer the location follows location_strategy:
  ``ecs_country`` when prefer_ecs is always (or names the policy in use), else ``resolver_country`` in mode
  resolver_ip, else the data centre (``pop``/``country``).
  A pool is healthy when it is enabled and at least ``minimum_origins`` of its enabled origins are healthy (pools
  without a monitor: every enabled origin is healthy). Steering per policy:
    off (or "" with no maps): default_pools in order.   geo (or "" with maps): pop_pools[pop], then
    country_pools[country], then region_pools[region] (a country's region from the country table), then
    default_pools.   random: a weighted draw over default_pools with random_steering weights (pool_weights by
    pool id, else default_weight) from a seeded generator (``seed`` in the request, else a per-emulator counter).
    dynamic_latency: default_pools ordered by the mean RTT of their healthy origins in the last probe round
    (pools never probed keep their place after the probed ones).   proximity: pools ordered by great-circle
    distance from the client (request latitude/longitude, else the PoP's location, else the centre of the
    country's region) to the pool's latitude/longitude; pools without coordinates last.
    least_outstanding_requests / least_connections: no real traffic exists, so each answer counts as one open
    request on its pool; the pool with the fewest answers divided by its random_steering weight wins (ties in
    default_pools order). The same approximation applies to origin_steering least_* inside a pool; origin
    steering random is a seeded weighted draw, hash a hash of client_ip.
  The first healthy pool in that order serves (a pool's load_shedding passes default_percent of new requests,
  drawn at random or by a hash of client_ip, and session_percent of requests carrying a session, by hash, to the
  next healthy pool); when none is healthy, the fallback_pool serves.
  Session affinity (proxied load balancers only): cookie / ip_cookie answer the same origin for the same
  ``cookie`` (the __cflb value; ip_cookie's first choice is a hash of client_ip) while the origin and its pool are
  healthy; header keys the session on the values of session_affinity_attributes.headers in ``headers``
  (require_all_headers honoured). When health moves the session, a new session is set (set_cookie). ``failing``
  lists origins (names or addresses) that answer 52x right now although the monitors have not noticed:
  zero_downtime_failover none -> the pinned origin is answered with error 52x; temporary -> another origin, the
  session stays pinned; sticky -> another origin and the session moves. Without affinity a failing origin is
  retried once on another origin of the pool (adaptive_routing.failover_across_pools: also of the next pools).
  rules: enabled rules in priority order whose condition matches (a small evaluator: http.host,
  http.request.uri.path, ip.src, cf.load_balancer.name, cf.load_balancer.region with eq, ne, ==, !=, contains,
  matches, in {...}, and, or, not, parentheses; an empty condition always matches) apply their overrides or
  answer their fixed_response; ``terminates`` stops further rules. Conditions are stored as given; a rule the
  evaluator cannot read is listed in ``rules_skipped`` of the answer.

Example, against ``make emulator`` (token ``emulator-token``, port 8787), after creating pools and a load
balancer for app.example.com with the modules::

    curl -s -XPOST localhost:8787/__emulator__/lb/allow -d '{"addresses": ["192.168.56.0/24"]}'
    curl -s -XPOST localhost:8787/__emulator__/lb/probe -d '{"rounds": 2}'
    curl -s -XPOST localhost:8787/__emulator__/lb/steer -d '{"hostname": "app.example.com", "country": "DE"}'
"""
from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import math
import random
import re
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request

from .core import CFError, Paged, control_route, route
from . import origin_pull

MONITORS = "lb_monitors"
POOLS = "lb_pools"
LBS = "zone:load_balancers"  # {zone_id: {lb_id: lb}}; removed with the zone
HEALTH = "lb_health"         # {pool_id: {origin_name: state}}
SIM = "lb_sim"               # allow-list, sessions, counters

# --- tables (kept equal to plugins/module_utils/load_balancing.py by tests/unit/.../test_load_balancing_utils.py) ---
REGIONS = ("WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS")
CHECK_REGIONS = REGIONS + ("CHINA", "ALL_REGIONS")
_REGION_COUNTRIES = {
    "WNAM": "MX",
    "ENAM": "US CA BM PM GL",
    "NSAM": "AG AI AW BB BL BQ BS BZ CO CR CU CW DM DO EC GD GF GP GT GY HN HT JM KN KY LC MF MQ MS NI PA PE PR "
            "SR SV SX TC TT VC VE VG VI BR",
    "SSAM": "AR BO CL FK PY UY GS",
    "WEU": "AD AT BE CH DE DK ES FI FO FR GB GG GI IE IM IS IT JE LI LU MC MT NL NO PT SE SM VA AX SJ",
    "EEU": "AL AM AZ BA BG BY CY CZ EE GE GR HR HU KZ LT LV MD ME MK PL RO RS RU SI SK TR UA XK KG TJ TM UZ",
    "ME": "AE BH IL IQ IR JO KW LB OM PS QA SA SY YE",
    "NAF": "DZ EG EH LY MA SD SS TN BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG TD CM CF",
    "SAF": "AO BI BW CD CG DJ ER ET GA GQ KE KM LS MG MU MW MZ NA RE RW SC SO ST SZ TZ UG YT ZA ZM ZW IO TF",
    "SAS": "AF BD BT IN LK MV NP PK",
    "SEAS": "BN ID KH LA MM MY PH SG TH TL VN CX CC",
    "NEAS": "CN HK JP KP KR MN MO TW",
    "OC": "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS AQ BV HM",
}
COUNTRY_REGION = {cc: region for region, codes in _REGION_COUNTRIES.items() for cc in codes.split()}
REGION_CENTRE = {
    "WNAM": (37.0, -120.0), "ENAM": (40.0, -77.0), "NSAM": (0.0, -65.0), "SSAM": (-34.0, -60.0),
    "WEU": (50.0, 5.0), "EEU": (50.0, 25.0), "ME": (27.0, 45.0), "NAF": (25.0, 10.0), "SAF": (-15.0, 30.0),
    "SAS": (22.0, 78.0), "SEAS": (5.0, 105.0), "NEAS": (36.0, 125.0), "OC": (-30.0, 145.0),
}
# A few Cloudflare data centres: code -> (country, latitude, longitude).
POPS = {
    "LAX": ("US", 33.94, -118.41), "SJC": ("US", 37.36, -121.93), "SEA": ("US", 47.45, -122.31),
    "DFW": ("US", 32.90, -97.04), "ORD": ("US", 41.98, -87.90), "IAD": ("US", 38.95, -77.46),
    "EWR": ("US", 40.69, -74.17), "MIA": ("US", 25.79, -80.29), "YYZ": ("CA", 43.68, -79.63),
    "GRU": ("BR", -23.43, -46.47), "EZE": ("AR", -34.82, -58.53), "LHR": ("GB", 51.47, -0.45),
    "AMS": ("NL", 52.31, 4.76), "FRA": ("DE", 50.03, 8.57), "CDG": ("FR", 49.00, 2.55), "MAD": ("ES", 40.47, -3.56),
    "WAW": ("PL", 52.17, 20.97), "DXB": ("AE", 25.25, 55.36), "JNB": ("ZA", -26.14, 28.24),
    "CAI": ("EG", 30.12, 31.41), "BOM": ("IN", 19.09, 72.87), "SIN": ("SG", 1.36, 103.99),
    "HKG": ("HK", 22.31, 113.91), "NRT": ("JP", 35.77, 140.39), "ICN": ("KR", 37.46, 126.44),
    "SYD": ("AU", -33.95, 151.18),
}

POOL_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
MONITOR_TYPES = ("http", "https", "tcp", "udp_icmp", "icmp_ping", "smtp")
HTTP_TYPES = ("http", "https")
HTTP_ONLY = ("header", "path", "expected_codes", "expected_body", "follow_redirects", "allow_insecure", "probe_zone")
MONITOR_FIELDS = {
    "type": str, "description": str, "method": str, "path": str, "header": dict, "port": int, "timeout": int,
    "interval": int, "retries": int, "expected_codes": str, "expected_body": str, "follow_redirects": bool,
    "allow_insecure": bool, "probe_zone": str, "consecutive_up": int, "consecutive_down": int,
}
MONITOR_LIMITS = {"interval": (5, 3600), "timeout": (1, 10), "retries": (0, 5), "consecutive_up": (0, 100),
                  "consecutive_down": (0, 100), "port": (0, 65535)}
POOL_FIELDS = {
    "name": str, "origins": list, "description": str, "enabled": bool, "minimum_origins": int, "monitor": str,
    "monitor_group": str, "check_regions": list, "notification_email": str, "notification_filter": dict,
    "origin_steering": dict, "load_shedding": dict, "latitude": float, "longitude": float, "networks": list,
}
ORIGIN_FIELDS = {"name": str, "address": str, "enabled": bool, "weight": float, "header": dict, "port": int,
                 "virtual_network_id": str, "flatten_cname": bool}
LB_FIELDS = {
    "name": str, "default_pools": list, "fallback_pool": str, "description": str, "enabled": bool, "proxied": bool,
    "ttl": float, "steering_policy": str, "session_affinity": str, "session_affinity_ttl": float,
    "session_affinity_attributes": dict, "region_pools": dict, "country_pools": dict, "pop_pools": dict,
    "random_steering": dict, "adaptive_routing": dict, "location_strategy": dict, "rules": list, "networks": list,
}
OVERRIDE_FIELDS = ("adaptive_routing", "country_pools", "default_pools", "fallback_pool", "location_strategy",
                   "pop_pools", "random_steering", "region_pools", "session_affinity", "session_affinity_attributes",
                   "session_affinity_ttl", "steering_policy", "ttl")
STEERING = ("off", "geo", "random", "dynamic_latency", "proximity", "least_outstanding_requests",
            "least_connections", "")
AFFINITY_TTL = {"cookie": (1800, 604800, 82800), "ip_cookie": (1800, 604800, 82800), "header": (30, 3600, 1800)}
SAA_DEFAULTS = {"samesite": "Auto", "secure": "Auto", "zero_downtime_failover": "none", "drain_duration": 0,
                "require_all_headers": False}
PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
USER_AGENT = "Mozilla/5.0 (compatible; Cloudflare-Traffic-Manager/1.0; +https://www.cloudflare.com/traffic-manager/)"


def _bad(message, pointer=None, code=1002):
    return CFError(400, code, message, pointer=pointer)


def _is_num(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _typed(body, fields, where=""):
    for key, value in body.items():
        if key not in fields:
            raise _bad("%s%s: unknown field" % (where, key), "/" + where.replace(".", "/") + key, code=1001)
        want = fields[key]
        if value is None:
            continue
        ok = (_is_num(value) if want is float else
              isinstance(value, int) and not isinstance(value, bool) if want is int else
              isinstance(value, want))
        if not ok:
            raise _bad("%s%s: must be a %s" % (where, key, {str: "string", int: "integer", float: "number",
                                                            bool: "boolean", dict: "object",
                                                            list: "list"}[want]), code=1001)


def _view(obj):
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _single_page(items):
    return Paged(items, {"page": 1, "per_page": len(items), "count": len(items), "total_count": len(items),
                         "total_pages": 1})


# --- monitors ---------------------------------------------------------------------------------------------------


def _monitor(st, account_id, monitor_id):
    st.account(account_id)
    mon = st.coll(MONITORS).get(monitor_id)
    if mon is None or mon["_account"] != account_id:
        raise CFError(404, 1003, "Monitor not found", pointer="/monitor_id")
    return mon


def _check_monitor(body):
    _typed(body, MONITOR_FIELDS)
    mtype = body.get("type") or "http"
    if mtype not in MONITOR_TYPES:
        raise _bad("type must be one of %s" % ", ".join(MONITOR_TYPES), "/type")
    for key, (low, high) in MONITOR_LIMITS.items():
        if body.get(key) is not None and not low <= body[key] <= high:
            raise _bad("%s must be between %d and %d" % (key, low, high), "/" + key)
    interval, timeout = body.get("interval", 60), body.get("timeout", 5)
    if timeout >= interval:
        raise _bad("Monitor timeout must be less than its interval", "/timeout")
    port = body.get("port") or 0
    if mtype in ("tcp", "udp_icmp", "smtp") and not port:
        raise _bad("port is required for %s monitors" % mtype, "/port")
    if mtype == "icmp_ping" and port:
        raise _bad("port is not valid for icmp_ping monitors", "/port")
    if mtype not in HTTP_TYPES:
        for key in HTTP_ONLY:
            if body.get(key) not in (None, "", {}, False):
                raise _bad("%s is only valid for HTTP and HTTPS monitors" % key, "/" + key)
    method = body.get("method")
    if method:
        if mtype in HTTP_TYPES and method not in ("GET", "HEAD"):
            raise _bad("method must be GET or HEAD for HTTP and HTTPS monitors", "/method")
        if mtype == "tcp" and method != "connection_established":
            raise _bad("method must be connection_established for TCP monitors", "/method")
    codes = body.get("expected_codes")
    if codes and not all(re.match(r"^[1-5][0-9x]{2}$", c.strip()) for c in codes.split(",")):
        raise _bad("expected_codes must be a status code or range such as 200 or 2xx", "/expected_codes")
    seen = set()
    for name, values in (body.get("header") or {}).items():
        if name.lower() == "user-agent":
            raise _bad("The User-Agent header cannot be overridden", "/header")
        if name.lower() in seen:
            raise _bad("header %s is given twice" % name, "/header")
        seen.add(name.lower())
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _bad("header values must be lists of strings", "/header")
    return mtype


def _monitor_with_defaults(body, mtype):
    mon = {"type": mtype, "description": "", "interval": 60, "timeout": 5, "retries": 2, "consecutive_up": 0,
           "consecutive_down": 0, "port": 0}
    if mtype in HTTP_TYPES:
        mon.update(method="GET", path="/", header={}, expected_codes="200", expected_body="",
                   follow_redirects=False, allow_insecure=False, probe_zone="")
    elif mtype == "tcp":
        mon.update(method="connection_established")
    mon.update({k: v for k, v in body.items() if v is not None})
    return mon


def _store_monitor(st, account_id, body, existing=None):
    mtype = _check_monitor(body)
    mon = _monitor_with_defaults(body, mtype)
    now = st.now()
    mon["id"] = existing["id"] if existing else st.new_id()
    mon["created_on"] = existing["created_on"] if existing else now
    mon["modified_on"] = now
    mon["_account"] = account_id
    st.coll(MONITORS)[mon["id"]] = mon
    return _view(mon)


@route("GET", "/accounts/{account_id}/load_balancers/monitors")
def list_monitors(req, st, account_id):
    st.account(account_id)
    mons = [m for m in st.coll(MONITORS).values() if m["_account"] == account_id]
    return _single_page([_view(m) for m in sorted(mons, key=lambda m: m["created_on"])])


@route("POST", "/accounts/{account_id}/load_balancers/monitors")
def create_monitor(req, st, account_id):
    st.account(account_id)
    return _store_monitor(st, account_id, dict(req.json))


@route("GET", "/accounts/{account_id}/load_balancers/monitors/{monitor_id}")
def get_monitor(req, st, account_id, monitor_id):
    return _view(_monitor(st, account_id, monitor_id))


@route("PUT", "/accounts/{account_id}/load_balancers/monitors/{monitor_id}")
def update_monitor(req, st, account_id, monitor_id):
    mon = _monitor(st, account_id, monitor_id)
    return _store_monitor(st, account_id, dict(req.json), mon)


@route("PATCH", "/accounts/{account_id}/load_balancers/monitors/{monitor_id}")
def edit_monitor(req, st, account_id, monitor_id):
    mon = _monitor(st, account_id, monitor_id)
    body = {k: v for k, v in _view(mon).items() if k in MONITOR_FIELDS}
    if req.json.get("type") not in (None, body["type"]):
        body = {k: v for k, v in body.items() if k not in HTTP_ONLY + ("method",)}
    body.update(req.json)
    return _store_monitor(st, account_id, body, mon)


@route("DELETE", "/accounts/{account_id}/load_balancers/monitors/{monitor_id}")
def delete_monitor(req, st, account_id, monitor_id):
    _monitor(st, account_id, monitor_id)
    users = sorted(p["name"] for p in st.coll(POOLS).values() if p.get("monitor") == monitor_id)
    if users:
        raise _bad("Monitor is referenced by pool(s) %s; remove it from them first" % ", ".join(users), code=1013)
    del st.coll(MONITORS)[monitor_id]
    return {"id": monitor_id}


@route("GET", "/accounts/{account_id}/load_balancers/monitors/{monitor_id}/references")
def monitor_references(req, st, account_id, monitor_id):
    _monitor(st, account_id, monitor_id)
    refs = [{"reference_type": "referrer", "resource_id": p["id"], "resource_name": p["name"],
             "resource_type": "pool"} for p in st.coll(POOLS).values() if p.get("monitor") == monitor_id]
    return _single_page(refs)


def _preview(st, account_id, monitor, pools):
    preview_id = st.new_id()
    results = {}
    for pool in pools:
        states = _probe_pool(st, pool, monitor, cap=2.0)
        results[pool["id"]] = {"healthy": _count_healthy(pool, states) >= pool.get("minimum_origins", 1),
                               "origins": [{o["address"]: _origin_report(states[o["name"]])}
                                           for o in pool["origins"] if o["name"] in states]}
    st.coll("lb_previews")[preview_id] = {"account": account_id, "result": results}
    return {"preview_id": preview_id, "pools": {p["id"]: p["name"] for p in pools}}


@route("POST", "/accounts/{account_id}/load_balancers/monitors/{monitor_id}/preview")
def preview_monitor(req, st, account_id, monitor_id):
    _monitor(st, account_id, monitor_id)
    body = dict(req.json)
    monitor = _monitor_with_defaults(body, _check_monitor(body))
    pools = [p for p in st.coll(POOLS).values() if p.get("monitor") == monitor_id]
    return _preview(st, account_id, monitor, pools)


@route("GET", "/accounts/{account_id}/load_balancers/preview/{preview_id}")
def preview_result(req, st, account_id, preview_id):
    found = st.coll("lb_previews").get(preview_id)
    if not found or found["account"] != account_id:
        raise CFError(404, 1003, "Preview not found")
    return found["result"]


# --- pools ---------------------------------------------------------------------------------------------------------


def _pool(st, account_id, pool_id):
    st.account(account_id)
    pool = st.coll(POOLS).get(pool_id)
    if pool is None or pool["_account"] != account_id:
        raise CFError(404, 1003, "Pool not found", pointer="/pool_id")
    return pool


def _normal_origin(origin, index):
    where = "origins[%d]." % index
    if not isinstance(origin, dict):
        raise _bad("origins[%d] must be an object" % index)
    _typed(origin, ORIGIN_FIELDS, where)
    if not origin.get("name"):
        raise _bad("%sname is required" % where, "/origins/%d/name" % index)
    if not origin.get("address"):
        raise _bad("%saddress is required" % where, "/origins/%d/address" % index)
    weight = origin.get("weight", 1)
    if weight is None:
        weight = 1
    if not 0 <= weight <= 1 or abs(round(weight * 100) - weight * 100) > 1e-6:
        raise _bad("%sweight must be between 0 and 1 in steps of 0.01" % where, "/origins/%d/weight" % index)
    port = origin.get("port") or 0
    if not 0 <= port <= 65535:
        raise _bad("%sport must be between 0 and 65535" % where)
    hosts = []
    for name, values in (origin.get("header") or {}).items():
        if name.lower() != "host":
            raise _bad("%sheader: only the Host header is supported" % where)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _bad("%sheader.Host must be a list of strings" % where)
        hosts.extend(values)
    address = origin["address"].strip()
    # Cloudflare wants virtual_network_id for internal addresses; the emulator accepts loopback, private and
    # documentation addresses without one, so that tests can point pools at local servers.
    try:
        address = str(ipaddress.ip_address(address))
    except ValueError:
        address = address.lower().rstrip(".")
    out = {"name": origin["name"], "address": address, "enabled": origin.get("enabled", True) is not False,
           "weight": round(float(weight), 2), "port": port, "header": {"Host": hosts} if hosts else {},
           "flatten_cname": origin.get("flatten_cname", True) is not False, "disabled_at": None}
    if origin.get("virtual_network_id"):
        out["virtual_network_id"] = origin["virtual_network_id"]
    return out


def _check_pool(st, account_id, body, create):
    _typed(body, POOL_FIELDS)
    if create and "name" not in body:
        raise _bad("name is required", "/name")
    if "name" in body and not (isinstance(body["name"], str) and POOL_NAME.match(body["name"])):
        raise _bad("Pool name is invalid. Only alphanumeric characters, hyphens, and underscores are allowed.",
                   "/name", code=1101)
    if create and not body.get("origins"):
        raise _bad("origins is required: a pool needs at least one origin", "/origins")
    if body.get("monitor"):
        mon = st.coll(MONITORS).get(body["monitor"])
        if mon is None or mon["_account"] != account_id:
            raise _bad("monitor %s does not exist" % body["monitor"], "/monitor", code=1003)
    minimum = body.get("minimum_origins")
    if minimum is not None and minimum < 0:
        raise _bad("minimum_origins must not be negative", "/minimum_origins")
    lat, lon = body.get("latitude"), body.get("longitude")
    if (lat is None) != (lon is None):
        raise _bad("latitude and longitude must be set together", "/latitude")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad("latitude must be within [-90, 90] and longitude within [-180, 180]", "/latitude")
    for code in body.get("check_regions") or []:
        if code not in CHECK_REGIONS:
            raise _bad("check_regions: %r is not a region code" % code, "/check_regions")
    steering = body.get("origin_steering") or {}
    if steering.get("policy") not in (None, "random", "hash", "least_outstanding_requests", "least_connections"):
        raise _bad("origin_steering.policy is invalid", "/origin_steering/policy")
    shedding = body.get("load_shedding") or {}
    for key in ("default_percent", "session_percent"):
        if shedding.get(key) is not None and not (_is_num(shedding[key]) and 0 <= shedding[key] <= 100):
            raise _bad("load_shedding.%s must be between 0 and 100" % key)
    if shedding.get("default_policy") not in (None, "random", "hash") or \
            shedding.get("session_policy") not in (None, "hash"):
        raise _bad("load_shedding policy is invalid", "/load_shedding")


def _store_pool(st, account_id, body, existing=None):
    _check_pool(st, account_id, body, existing is None)
    origins = [_normal_origin(o, i) for i, o in enumerate(body.get("origins") or [])]
    names = [o["name"] for o in origins]
    if len(set(names)) != len(names):
        raise _bad("origin names must be unique within a pool", "/origins")
    now = st.now()
    pool = {"description": "", "enabled": True, "minimum_origins": 1, "monitor": None, "check_regions": None,
            "notification_email": "", "notification_filter": None, "latitude": None, "longitude": None,
            "networks": ["cloudflare"]}
    pool.update({k: v for k, v in body.items() if k != "origins"})
    shedding = {"default_percent": 0, "default_policy": "random", "session_percent": 0, "session_policy": "hash"}
    shedding.update(body.get("load_shedding") or {})
    pool["load_shedding"] = shedding
    pool["origin_steering"] = {"policy": (body.get("origin_steering") or {}).get("policy") or "random"}
    for origin in origins:
        if not origin["enabled"]:
            origin["disabled_at"] = now
    pool["origins"] = sorted(origins, key=lambda o: o["name"])
    pool["monitor"] = pool.get("monitor") or None
    pool["id"] = existing["id"] if existing else st.new_id()
    pool["created_on"] = existing["created_on"] if existing else now
    pool["modified_on"] = now
    pool["disabled_at"] = None if pool["enabled"] else (existing or {}).get("disabled_at") or now
    pool["_account"] = account_id
    st.coll(POOLS)[pool["id"]] = pool
    health = st.coll(HEALTH).setdefault(pool["id"], {})
    for name in list(health):
        if name not in names:
            del health[name]
    return _view(pool)


@route("GET", "/accounts/{account_id}/load_balancers/pools")
def list_pools(req, st, account_id):
    st.account(account_id)
    pools = [p for p in st.coll(POOLS).values() if p["_account"] == account_id]
    if req.arg("monitor"):
        pools = [p for p in pools if p.get("monitor") == req.arg("monitor")]
    return _single_page([_view(p) for p in sorted(pools, key=lambda p: p["created_on"])])


@route("POST", "/accounts/{account_id}/load_balancers/pools")
def create_pool(req, st, account_id):
    st.account(account_id)
    return _store_pool(st, account_id, dict(req.json))


@route("GET", "/accounts/{account_id}/load_balancers/pools/{pool_id}")
def get_pool(req, st, account_id, pool_id):
    return _view(_pool(st, account_id, pool_id))


@route("PUT", "/accounts/{account_id}/load_balancers/pools/{pool_id}")
def update_pool(req, st, account_id, pool_id):
    pool = _pool(st, account_id, pool_id)
    body = dict(req.json)
    if "name" not in body or "origins" not in body:
        raise _bad("name and origins are required", "/name")
    return _store_pool(st, account_id, body, pool)


@route("PATCH", "/accounts/{account_id}/load_balancers/pools/{pool_id}")
def edit_pool(req, st, account_id, pool_id):
    pool = _pool(st, account_id, pool_id)
    body = {k: v for k, v in _view(pool).items() if k in POOL_FIELDS}
    body["origins"] = [{k: v for k, v in o.items() if k in ORIGIN_FIELDS} for o in body["origins"]]
    body.update(req.json)
    return _store_pool(st, account_id, body, pool)


@route("PATCH", "/accounts/{account_id}/load_balancers/pools")
def bulk_edit_pools(req, st, account_id):
    st.account(account_id)
    unknown = set(req.json) - {"notification_email"}
    if unknown:
        raise _bad("only notification_email can be edited in bulk", code=1001)
    pools = [p for p in st.coll(POOLS).values() if p["_account"] == account_id]
    for pool in pools:
        pool["notification_email"] = req.json.get("notification_email", "")
        pool["modified_on"] = st.now()
    return _single_page([_view(p) for p in pools])


def _lbs_using_pool(st, pool_id):
    users = []
    for zone_lbs in st.coll(LBS).values():
        for lb in zone_lbs.values():
            if pool_id in _pool_ids(lb):
                users.append(lb)
    return users


@route("DELETE", "/accounts/{account_id}/load_balancers/pools/{pool_id}")
def delete_pool(req, st, account_id, pool_id):
    _pool(st, account_id, pool_id)
    users = sorted(lb["name"] for lb in _lbs_using_pool(st, pool_id))
    if users:
        raise _bad("Pool is referenced by load balancer(s) %s; remove it from them first" % ", ".join(users),
                   code=1013)
    del st.coll(POOLS)[pool_id]
    st.coll(HEALTH).pop(pool_id, None)
    return {"id": pool_id}


@route("GET", "/accounts/{account_id}/load_balancers/pools/{pool_id}/references")
def pool_references(req, st, account_id, pool_id):
    pool = _pool(st, account_id, pool_id)
    refs = [{"reference_type": "referrer", "resource_id": lb["id"], "resource_name": lb["name"],
             "resource_type": "load_balancer"} for lb in _lbs_using_pool(st, pool_id)]
    if pool.get("monitor") and pool["monitor"] in st.coll(MONITORS):
        mon = st.coll(MONITORS)[pool["monitor"]]
        refs.append({"reference_type": "referral", "resource_id": mon["id"], "resource_name": mon["description"],
                     "resource_type": "monitor"})
    return _single_page(refs)


@route("GET", "/accounts/{account_id}/load_balancers/pools/{pool_id}/health")
def pool_health(req, st, account_id, pool_id):
    pool = _pool(st, account_id, pool_id)
    healthy, states = _pool_state(st, pool)
    origins = [{o["address"]: _origin_report(states[o["name"]])} for o in pool["origins"] if o["enabled"]]
    regions = pool.get("check_regions") or ["ALL_REGIONS"]
    return {"pool_id": pool_id, "pop_health": {region: {"healthy": healthy, "origins": origins}
                                               for region in regions}}


@route("POST", "/accounts/{account_id}/load_balancers/pools/{pool_id}/preview")
def preview_pool(req, st, account_id, pool_id):
    pool = _pool(st, account_id, pool_id)
    body = dict(req.json)
    monitor = _monitor_with_defaults(body, _check_monitor(body))
    return _preview(st, account_id, monitor, [pool])


# --- load balancers ------------------------------------------------------------------------------------------


def _zone_lbs(st, zone_id):
    st.zone(zone_id)
    return st.coll(LBS).setdefault(zone_id, {})


def _lb(st, zone_id, lb_id):
    lb = _zone_lbs(st, zone_id).get(lb_id)
    if lb is None:
        raise CFError(404, 1003, "Load balancer not found", pointer="/load_balancer_id")
    return lb


def _pool_ids(lb, rules=True):
    ids = list(lb.get("default_pools") or [])
    if lb.get("fallback_pool"):
        ids.append(lb["fallback_pool"])
    for key in ("region_pools", "country_pools", "pop_pools"):
        for pools in (lb.get(key) or {}).values():
            ids.extend(pools)
    ids.extend((lb.get("random_steering") or {}).get("pool_weights") or {})
    for rule in (lb.get("rules") or []) if rules else []:
        ids.extend(_pool_ids(rule.get("overrides") or {}))
    return ids


def _enterprise(zone):
    return (zone.get("plan") or {}).get("legacy_id") == "enterprise"


def _check_steering(st, account_id, zone, body, where=""):
    policy = body.get("steering_policy")
    if policy is not None and policy not in STEERING:
        raise _bad("%ssteering_policy is invalid" % where, "/steering_policy")
    for key in ("region_pools", "country_pools", "pop_pools"):
        for code, pools in (body.get(key) or {}).items():
            if key == "region_pools" and code not in REGIONS:
                raise _bad("%sregion_pools: %r is not a region code" % (where, code), "/region_pools")
            if key == "country_pools" and code not in COUNTRY_REGION:
                raise _bad("%scountry_pools: %r is not a country code" % (where, code), "/country_pools")
            if key == "pop_pools" and not re.match(r"^[A-Z]{3}$", code):
                raise _bad("%spop_pools: %r is not a PoP code" % (where, code), "/pop_pools")
            if not isinstance(pools, list) or not all(isinstance(p, str) for p in pools):
                raise _bad("%s%s.%s must be a list of pool ids" % (where, key, code))
    if body.get("pop_pools") and not _enterprise(zone):
        raise _bad("%spop_pools requires an Enterprise plan" % where, "/pop_pools", code=1018)
    steering = body.get("random_steering") or {}
    weights = [steering.get("default_weight")] + list((steering.get("pool_weights") or {}).values())
    for weight in weights:
        if weight is not None and not (_is_num(weight) and 0 <= weight <= 1):
            raise _bad("%srandom_steering weights must be between 0 and 1" % where, "/random_steering")
    location = body.get("location_strategy") or {}
    if location.get("mode") not in (None, "pop", "resolver_ip") or \
            location.get("prefer_ecs") not in (None, "always", "never", "proximity", "geo"):
        raise _bad("%slocation_strategy is invalid" % where, "/location_strategy")
    affinity = body.get("session_affinity")
    if affinity is not None and affinity not in ("none", "cookie", "ip_cookie", "header", ""):
        raise _bad("%ssession_affinity is invalid" % where, "/session_affinity")
    ttl = body.get("session_affinity_ttl")
    if ttl is not None and affinity in AFFINITY_TTL:
        low, high, _default = AFFINITY_TTL[affinity]
        if not low <= ttl <= high:
            raise _bad("%ssession_affinity_ttl must be between %d and %d for session_affinity %s"
                       % (where, low, high, affinity), "/session_affinity_ttl")
    attrs = body.get("session_affinity_attributes") or {}
    _typed(attrs, {"samesite": str, "secure": str, "zero_downtime_failover": str, "drain_duration": float,
                   "headers": list, "require_all_headers": bool}, where + "session_affinity_attributes.")
    for key, allowed in (("samesite", ("Auto", "Lax", "None", "Strict")), ("secure", ("Auto", "Always", "Never")),
                         ("zero_downtime_failover", ("none", "temporary", "sticky"))):
        if attrs.get(key) is not None and attrs[key] not in allowed:
            raise _bad("%ssession_affinity_attributes.%s is invalid" % (where, key))
    if attrs.get("samesite") == "None" and attrs.get("secure") == "Never":
        raise _bad("%ssession_affinity_attributes: secure cannot be Never when samesite is None" % where)
    if affinity == "header":
        headers = attrs.get("headers") or []
        if not headers:
            raise _bad("%ssession_affinity_attributes.headers is required for header session affinity" % where)
        if len(headers) > (5 if _enterprise(zone) else 1):
            raise _bad("%ssession_affinity_attributes.headers: too many headers for this plan" % where, code=1018)
        if attrs.get("zero_downtime_failover") == "sticky":
            raise _bad("%ssticky zero-downtime failover is not supported with header session affinity" % where)
    pools = st.coll(POOLS)
    for pool_id in _pool_ids(body, rules=False):
        pool = pools.get(pool_id)
        if pool is None or pool["_account"] != account_id:
            raise _bad("%spool %s does not exist" % (where, pool_id), code=1003)
    if body.get("steering_policy") == "dynamic_latency":
        for pool_id in body.get("default_pools") or []:
            if not pools[pool_id].get("monitor"):
                raise _bad("%sdynamic_latency steering needs a monitor on every default pool (%s has none)"
                           % (where, pools[pool_id]["name"]))


def _check_lb(st, zone, body, existing):
    _typed(body, LB_FIELDS)
    for key in ("name", "default_pools", "fallback_pool"):
        if not body.get(key):
            raise _bad("%s is required" % key, "/" + key)
    name = body["name"].strip().lower().rstrip(".")
    if not (name == zone["name"] or name.endswith("." + zone["name"])) or \
            not all(LABEL.match(label) or label == "*" for label in name.split(".")):
        raise _bad("name must be a hostname in zone %s" % zone["name"], "/name")
    for other in _zone_lbs(st, zone["id"]).values():
        if other["name"] == name and (existing is None or other["id"] != existing["id"]):
            raise _bad("A load balancer with name %s already exists" % name, "/name", code=1008)
    account_id = zone["account_id"]
    _check_steering(st, account_id, zone, body)
    rules = body.get("rules") or []
    for index, rule in enumerate(rules):
        where = "rules[%d]." % index
        _typed(rule, {"name": str, "condition": str, "disabled": bool, "priority": int, "terminates": bool,
                      "fixed_response": dict, "overrides": dict}, where)
        if rule.get("priority") is not None and rule["priority"] < 0:
            raise _bad("%spriority must not be negative" % where)
        overrides = rule.get("overrides") or {}
        _typed(overrides, {k: LB_FIELDS[k] for k in OVERRIDE_FIELDS}, where + "overrides.")
        _check_steering(st, account_id, zone, overrides, where + "overrides.")
        # Conditions are stored as given: Cloudflare's expression language is larger than the emulator's
        # evaluator, and a rule it cannot evaluate is reported as skipped by /lb/steer rather than refused here.
    return name


def _rule_with_defaults(rule):
    out = {"name": "", "condition": "", "disabled": False, "priority": 0, "overrides": {}, "fixed_response": None}
    out.update({k: v for k, v in rule.items() if v is not None})
    out["terminates"] = bool(rule.get("terminates", bool(rule.get("fixed_response"))))
    return out


def _store_lb(st, zone, body, existing=None):
    name = _check_lb(st, zone, body, existing)
    now = st.now()
    lb = {"description": "", "enabled": True, "proxied": False, "ttl": 30, "steering_policy": "",
          "session_affinity": "none", "region_pools": {}, "country_pools": {}, "pop_pools": {},
          "random_steering": {"default_weight": 1, "pool_weights": {}},
          "adaptive_routing": {"failover_across_pools": False},
          "location_strategy": {"mode": "pop", "prefer_ecs": "proximity"}, "networks": ["cloudflare"],
          "rules": [], "pool_sets": []}
    lb.update({k: v for k, v in body.items() if v is not None})
    lb["name"] = name
    steering = {"default_weight": 1, "pool_weights": {}}
    steering.update(body.get("random_steering") or {})
    lb["random_steering"] = steering
    for key, default in (("adaptive_routing", {"failover_across_pools": False}),
                         ("location_strategy", {"mode": "pop", "prefer_ecs": "proximity"})):
        merged = dict(default)
        merged.update(body.get(key) or {})
        lb[key] = merged
    attrs = dict(SAA_DEFAULTS)
    attrs.update(body.get("session_affinity_attributes") or {})
    lb["session_affinity_attributes"] = attrs
    affinity = lb.get("session_affinity") or "none"
    lb["session_affinity"] = affinity
    if affinity in AFFINITY_TTL and body.get("session_affinity_ttl") is None:
        lb["session_affinity_ttl"] = AFFINITY_TTL[affinity][2]
    lb["rules"] = [_rule_with_defaults(r) for r in body.get("rules") or []]
    lb["id"] = existing["id"] if existing else st.new_id()
    lb["created_on"] = existing["created_on"] if existing else now
    lb["modified_on"] = now
    lb["zone_name"] = zone["name"]
    _zone_lbs(st, zone["id"])[lb["id"]] = lb
    return _view(lb)


@route("GET", "/zones/{zone_id}/load_balancers")
def list_lbs(req, st, zone_id):
    lbs = sorted(_zone_lbs(st, zone_id).values(), key=lambda lb: lb["created_on"])
    return _single_page([_view(lb) for lb in lbs])


@route("POST", "/zones/{zone_id}/load_balancers")
def create_lb(req, st, zone_id):
    return _store_lb(st, st.zone(zone_id), dict(req.json))


@route("GET", "/zones/{zone_id}/load_balancers/{lb_id}")
def get_lb(req, st, zone_id, lb_id):
    return _view(_lb(st, zone_id, lb_id))


@route("PUT", "/zones/{zone_id}/load_balancers/{lb_id}")
def update_lb(req, st, zone_id, lb_id):
    lb = _lb(st, zone_id, lb_id)
    return _store_lb(st, st.zone(zone_id), dict(req.json), lb)


@route("PATCH", "/zones/{zone_id}/load_balancers/{lb_id}")
def edit_lb(req, st, zone_id, lb_id):
    lb = _lb(st, zone_id, lb_id)
    body = {k: v for k, v in _view(lb).items() if k in LB_FIELDS}
    body.update(req.json)
    return _store_lb(st, st.zone(zone_id), body, lb)


@route("DELETE", "/zones/{zone_id}/load_balancers/{lb_id}")
def delete_lb(req, st, zone_id, lb_id):
    _lb(st, zone_id, lb_id)
    del _zone_lbs(st, zone_id)[lb_id]
    st.coll(SIM).get("sessions", {}).pop(lb_id, None)
    return {"id": lb_id}


# --- health ------------------------------------------------------------------------------------------------------------


def _new_state():
    return {"healthy": True, "up": 0, "down": 0, "probed": False, "failure_reason": "", "response_code": None,
            "rtt_ms": None}


def _states(st, pool):
    health = st.coll(HEALTH).setdefault(pool["id"], {})
    for origin in pool["origins"]:
        health.setdefault(origin["name"], _new_state())
    return health


def _effective(pool, origin, state):
    return bool(pool["enabled"] and origin["enabled"] and (not pool.get("monitor") or state["healthy"]))


def _count_healthy(pool, states):
    return sum(1 for o in pool["origins"] if o["name"] in states and _effective(pool, o, states[o["name"]]))


def _pool_state(st, pool):
    states = _states(st, pool)
    view = {}
    for origin in pool["origins"]:
        state = dict(states[origin["name"]])
        state["healthy"] = _effective(pool, origin, state)
        if not pool["enabled"]:
            state["failure_reason"] = "Pool disabled"
        elif not origin["enabled"]:
            state["failure_reason"] = "Origin disabled"
        elif not pool.get("monitor"):
            state["failure_reason"] = "No monitor"
        view[origin["name"]] = state
    healthy = pool["enabled"] and sum(1 for s in view.values() if s["healthy"]) >= pool.get("minimum_origins", 1)
    return healthy, view


def _origin_report(state):
    return {"healthy": state["healthy"],
            "rtt": "%.1fms" % state["rtt_ms"] if state.get("rtt_ms") is not None else "",
            "failure_reason": state.get("failure_reason") or "No failures",
            "response_code": state.get("response_code")}


def _allowed_networks(st):
    return [ipaddress.ip_network(n) for n in st.coll(SIM).get("allow", [])]


def _probe_target(st, address):
    """The IP to probe for an origin address, or (None, reason) when the emulator may not probe it."""
    if address == "localhost":
        address = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None, "not probed: %s is a hostname (the emulator only probes IP addresses)" % address
    if ip.is_loopback:
        return str(ip), None
    if any(ip in net for net in _allowed_networks(st)):
        return str(ip), None
    return None, "not probed: %s is not a loopback or allow-listed test address" % ip


def _codes_match(code, expected):
    for item in (expected or "200").split(","):
        item = item.strip()
        if len(item) == 3 and all(e in ("x", c) for e, c in zip(item, str(code))):
            return True
    return False


def _http_check(st, mon, ip, port, host_header, timeout, pool_id):
    https = mon["type"] == "https"
    path = mon.get("path") or "/"
    headers = {"User-Agent": USER_AGENT + " pool-id: " + pool_id[:16]}
    for name, values in (mon.get("header") or {}).items():
        if name.lower() != "host" and values:
            headers[name] = ", ".join(values)
    headers["Host"] = host_header
    target = (ip, port, path)
    for _hop in range(6):
        ip, port, path = target
        host = "[%s]" % ip if ":" in ip else ip
        if https:  # SNI = Host, trust of the emulator's Origin CA, origin-pull client certificate
            conn = origin_pull.https_connection(st, host.strip("[]"), port, headers["Host"], timeout,
                                                mon.get("allow_insecure"))
        else:
            conn = http.client.HTTPConnection(host.strip("[]"), port, timeout=timeout)
        try:
            conn.request(mon.get("method") or "GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read(65536) if mon.get("method") != "HEAD" else b""
            code = resp.status
            location = resp.getheader("Location")
        finally:
            conn.close()
        if mon.get("follow_redirects") and 300 <= code < 400 and location:
            here = "%s://%s:%d%s" % ("https" if https else "http", host, port, path)
            parts = urllib.parse.urlsplit(urllib.parse.urljoin(here, location))
            next_ip, reason = _probe_target(st, parts.hostname or "")
            if next_ip is None:
                return False, "redirect to %s refused: %s" % (parts.hostname, reason), code
            https = parts.scheme == "https"
            target = (next_ip, parts.port or (443 if https else 80), (parts.path or "/") +
                      ("?" + parts.query if parts.query else ""))
            continue
        if not _codes_match(code, mon.get("expected_codes")):
            return False, "HTTP %d does not match expected codes %s" % (code, mon.get("expected_codes") or "200"), code
        expected = mon.get("expected_body") or ""
        if expected and expected.lower() not in body.decode("utf-8", "replace").lower():
            return False, "Response body does not contain %r" % expected, code
        return True, "", code
    return False, "Too many redirects", None


def _check_once(st, mon, origin, pool_id, cap):
    ip, reason = _probe_target(st, origin["address"])
    if ip is None:
        return None, reason, None, None
    mtype = mon["type"]
    if mtype in ("udp_icmp", "icmp_ping"):
        return None, "not probed: %s monitors are not simulated" % mtype, None, None
    port = mon.get("port") or origin.get("port") or (443 if mtype == "https" else 80)
    timeout = max(0.05, min(float(mon.get("timeout") or 5), cap))
    hosts = (origin.get("header") or {}).get("Host") or []
    mon_hosts = [v for k, v in (mon.get("header") or {}).items() if k.lower() == "host"]
    host_header = hosts[0] if hosts else (mon_hosts[0][0] if mon_hosts and mon_hosts[0] else origin["address"])
    started = time.monotonic()
    if mtype in HTTP_TYPES:
        ok, why, code = _http_check(st, mon, ip, port, host_header, timeout, pool_id)
    else:
        with socket.create_connection((ip, port), timeout=timeout) as sock:
            if mtype == "smtp":
                sock.settimeout(timeout)
                banner = sock.recv(512)
                ok, why = banner.startswith(b"220"), ("" if banner.startswith(b"220") else "No SMTP 220 banner")
            else:
                ok, why = True, ""
        code = None
    return ok, why, code, (time.monotonic() - started) * 1000.0


def _check(st, mon, origin, pool_id, cap):
    """One health check with its immediate retries: (ok or None when not probed, reason, code, rtt)."""
    attempts = 1 + int(mon.get("retries") or 0)
    last = None
    for _attempt in range(attempts):
        try:
            return _check_once(st, mon, origin, pool_id, cap)
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            last = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    return False, last, None, None


def _probe_pool(st, pool, mon, cap):
    """Run the checks of one pool in parallel; returns {origin name: fresh state} (not stored)."""
    results = {}
    threads = []

    def run(origin):
        results[origin["name"]] = _check(st, mon, origin, pool["id"], cap)

    for origin in pool["origins"]:
        if origin["enabled"]:
            thread = threading.Thread(target=run, args=(origin,), daemon=True)
            thread.start()
            threads.append(thread)
    deadline = time.monotonic() + cap * (1 + int(mon.get("retries") or 0)) + 1.0
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    states = {}
    for origin in pool["origins"]:
        if origin["name"] in results:
            ok, why, code, rtt = results[origin["name"]]
            states[origin["name"]] = {"healthy": bool(ok), "failure_reason": why, "response_code": code,
                                      "rtt_ms": rtt, "up": 0, "down": 0, "probed": ok is not None}
        elif origin["enabled"]:
            states[origin["name"]] = {"healthy": False, "failure_reason": "Timed out", "response_code": None,
                                      "rtt_ms": None, "up": 0, "down": 0, "probed": True}
    return states


def _apply(mon, state, fresh):
    if not fresh["probed"]:
        state["failure_reason"] = fresh["failure_reason"]
        return
    state["probed"] = True
    state["response_code"] = fresh["response_code"]
    state["rtt_ms"] = fresh["rtt_ms"]
    if fresh["healthy"]:
        state["up"] += 1
        state["down"] = 0
        if not state["healthy"] and state["up"] >= max(1, mon.get("consecutive_up") or 0):
            state["healthy"] = True
        if state["healthy"]:
            state["failure_reason"] = ""
    else:
        state["down"] += 1
        state["up"] = 0
        state["failure_reason"] = fresh["failure_reason"]
        if state["healthy"] and state["down"] >= max(1, mon.get("consecutive_down") or 0):
            state["healthy"] = False


def probe_round(st, pool_id=None, cap=5.0):
    report = {}
    for pool in list(st.coll(POOLS).values()):
        if pool_id and pool["id"] != pool_id:
            continue
        mon = st.coll(MONITORS).get(pool.get("monitor") or "")
        if not pool["enabled"] or mon is None:
            continue
        fresh = _probe_pool(st, pool, mon, cap)
        states = _states(st, pool)
        for name, result in fresh.items():
            _apply(mon, states[name], result)
    for pool in st.coll(POOLS).values():
        if pool_id and pool["id"] != pool_id:
            continue
        healthy, view = _pool_state(st, pool)
        report[pool["id"]] = {"name": pool["name"], "healthy": healthy, "origins": {
            name: {k: s[k] for k in ("healthy", "probed", "failure_reason", "response_code", "rtt_ms")}
            for name, s in view.items()}}
    return report


@control_route("POST", "/lb/probe")
def control_probe(req, st):
    body = req.json if req.body else {}
    rounds = min(int(body.get("rounds", 1)), 10)
    cap = min(float(body.get("timeout_cap", 5.0)), 10.0)
    started = time.monotonic()
    report = {}
    for _round in range(rounds):
        report = probe_round(st, body.get("pool"), cap)
    return {"rounds": rounds, "elapsed_ms": round((time.monotonic() - started) * 1000.0, 1), "pools": report}


@control_route("GET", "/lb/allow")
def control_get_allow(req, st):
    return {"allow": st.coll(SIM).get("allow", [])}


@control_route("POST", "/lb/allow")
def control_allow(req, st):
    nets = []
    for text in req.json.get("addresses", []):
        net = ipaddress.ip_network(text, strict=False)
        if not (net.is_loopback or (net.version == 4 and any(net.subnet_of(p) for p in PRIVATE))):
            raise ValueError("%s: only loopback and private test addresses (10/8, 172.16/12, 192.168/16) may be "
                             "probed" % text)
        nets.append(str(net))
    st.coll(SIM)["allow"] = nets
    return {"allow": nets}


@control_route("POST", "/lb/health")
def control_force_health(req, st):
    body = req.json
    pool = next((p for p in st.coll(POOLS).values() if body.get("pool") in (p["id"], p["name"])), None)
    if pool is None:
        raise ValueError("no pool %r" % body.get("pool"))
    states = _states(st, pool)
    if body.get("origin") not in states:
        raise ValueError("no origin %r in pool %s" % (body.get("origin"), pool["name"]))
    state = states[body["origin"]]
    state.update(healthy=bool(body.get("healthy")), probed=True, up=0, down=0,
                 failure_reason="" if body.get("healthy") else body.get("reason", "forced unhealthy"))
    return {"pool": pool["id"], "origin": body["origin"], "healthy": state["healthy"]}


_BACKGROUND = {}


@control_route("POST", "/lb/background")
def control_background(req, st):
    body = req.json
    interval = float(body.get("interval", 0))
    host = req.headers.get("host", "127.0.0.1")
    _stop_background(host)
    if interval <= 0:
        return {"running": False}
    interval = max(0.2, interval)
    stop = threading.Event()
    payload = json.dumps({"timeout_cap": body.get("timeout_cap", min(interval, 5.0))}).encode()

    def loop():
        while not stop.wait(interval):
            try:
                request = urllib.request.Request("http://%s/__emulator__/lb/probe" % host, data=payload,
                                                 method="POST", headers={"Content-Type": "application/json"})
                urllib.request.urlopen(request, timeout=30).read()
            except OSError:
                pass

    thread = threading.Thread(target=loop, name="cfemu-lb-probe", daemon=True)
    _BACKGROUND[host] = (stop, thread)
    thread.start()
    return {"running": True, "interval": interval}


@control_route("DELETE", "/lb/background")
def control_background_stop(req, st):
    return {"running": False, "stopped": _stop_background(req.headers.get("host", "127.0.0.1"))}


def _stop_background(host):
    found = _BACKGROUND.pop(host, None)
    if found:
        found[0].set()
        found[1].join(timeout=15)
    return bool(found)


# --- rules: a small condition evaluator ----------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|&&|\|\||[(){}!])|(?P<word>[A-Za-z0-9_.:/*-]+))')
_FIELDS = ("http.host", "http.request.uri.path", "ip.src", "cf.load_balancer.name", "cf.load_balancer.region")


def _tokens(text, where):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise _bad("%scondition: cannot parse %r" % (where, text[pos:pos + 20]))
        kind = found.lastgroup
        value = found.group(kind)
        out.append((kind, json.loads(value) if kind == "str" else value))
        pos = found.end()
    return out


def _parse_condition(text, where=""):
    """A tree for the condition (None when empty); raises a 400 naming the rule on a syntax error."""
    if not text.strip():
        return None
    tokens = _tokens(text, where)
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else (None, None)

    def take():
        tok = peek()
        pos[0] += 1
        return tok

    def expr_or():
        node = expr_and()
        while peek()[1] in ("or", "||"):
            take()
            node = ("or", node, expr_and())
        return node

    def expr_and():
        node = expr_not()
        while peek()[1] in ("and", "&&"):
            take()
            node = ("and", node, expr_not())
        return node

    def expr_not():
        if peek()[1] in ("not", "!"):
            take()
            return ("not", expr_not())
        if peek()[1] == "(":
            take()
            node = expr_or()
            if take()[1] != ")":
                raise _bad("%scondition: missing )" % where)
            return node
        kind, field = take()
        if kind != "word" or field not in _FIELDS:
            raise _bad("%scondition: unsupported field %r (the emulator knows %s)" % (where, field, ", ".join(_FIELDS)))
        op = take()[1]
        op = {"==": "eq", "!=": "ne"}.get(op, op)
        if op == "in":
            if take()[1] != "{":
                raise _bad("%scondition: expected { after in" % where)
            values = []
            while peek()[1] != "}":
                kind, value = take()
                if kind is None:
                    raise _bad("%scondition: missing }" % where)
                values.append(value)
            take()
            return ("in", field, values)
        if op not in ("eq", "ne", "contains", "matches"):
            raise _bad("%scondition: unsupported operator %r" % (where, op))
        kind, value = take()
        if kind != "str":
            raise _bad("%scondition: expected a quoted string after %s" % (where, op))
        return (op, field, value)

    tree = expr_or()
    if pos[0] != len(tokens):
        raise _bad("%scondition: unexpected %r" % (where, peek()[1]))
    return tree


def _eval(node, facts):
    if node is None:
        return True
    op = node[0]
    if op == "or":
        return _eval(node[1], facts) or _eval(node[2], facts)
    if op == "and":
        return _eval(node[1], facts) and _eval(node[2], facts)
    if op == "not":
        return not _eval(node[1], facts)
    value = facts.get(node[1]) or ""
    if op == "in":
        if node[1] == "ip.src":
            return any(_ip_in(value, v) for v in node[2])
        return value in node[2]
    if op == "eq":
        return value == node[2]
    if op == "ne":
        return value != node[2]
    if op == "contains":
        return node[2] in value
    return re.search(node[2], value) is not None


def _ip_in(address, net):
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(net, strict=False)
    except ValueError:
        return False


# --- steering --------------------------------------------------------------------------------------------------------


def _distance(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _rng(st, seed):
    sim = st.coll(SIM)
    sim["draws"] = sim.get("draws", 0) + 1
    return random.Random("%s:%d" % (seed, sim["draws"]) if seed is not None else "cfemu:%d" % sim["draws"])


def _weighted(items, weights, rng):
    total = sum(weights)
    if total <= 0:
        return None
    pick = rng.random() * total
    for item, weight in zip(items, weights):
        pick -= weight
        if pick < 0:
            return item
    return items[-1]


def _hash_fraction(text):
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) / float(16 ** 12)


def _pool_weight(cfg, pool_id):
    steering = cfg.get("random_steering") or {}
    weights = steering.get("pool_weights") or {}
    return float(weights.get(pool_id, steering.get("default_weight", 1)))


def _order(st, cfg, lb, ctx, notes):
    """(policy, pool ids in failover order, how the order was chosen)."""
    policy = _policy(cfg)
    default = list(cfg.get("default_pools") or [])
    pools = st.coll(POOLS)
    if policy == "off":
        return policy, default, "default_pools order"
    if policy == "geo":
        pop, country, region = ctx["pop"], ctx["country"], ctx["region"]
        if pop and pop in (cfg.get("pop_pools") or {}):
            return policy, cfg["pop_pools"][pop], "pop_pools[%s]" % pop
        if country and country in (cfg.get("country_pools") or {}):
            return policy, cfg["country_pools"][country], "country_pools[%s]" % country
        if region and region in (cfg.get("region_pools") or {}):
            return policy, cfg["region_pools"][region], "region_pools[%s]" % region
        return policy, default, "default_pools (no geo mapping for %s)" % (
            "/".join(x for x in (pop, country, region) if x) or "an unknown location")
    if policy == "random":
        rng = _rng(st, ctx.get("seed"))
        healthy = [p for p in default if _pool_usable(st, p)]
        chosen = _weighted(healthy, [_pool_weight(cfg, p) for p in healthy], rng)
        if chosen is None:
            return policy, default, "random (no healthy pool with a weight above 0)"
        return policy, [chosen] + [p for p in default if p != chosen], "random draw weighted by random_steering"
    if policy == "dynamic_latency":
        def latency(pool_id):
            _healthy, view = _pool_state(st, pools[pool_id])
            rtts = [s["rtt_ms"] for s in view.values() if s["healthy"] and s.get("rtt_ms") is not None]
            return sum(rtts) / len(rtts) if rtts else None
        measured = [(latency(p), i, p) for i, p in enumerate(default)]
        ordered = [p for rtt, i, p in sorted(m for m in measured if m[0] is not None)]
        ordered += [p for rtt, i, p in measured if rtt is None]
        return policy, ordered, "dynamic_latency: pools by mean origin RTT of the last probe"
    if policy == "proximity":
        where = ctx.get("location")
        if where is None:
            return policy, default, "proximity without a client location: default_pools order"
        with_coords = [(p, pools[p]) for p in default if pools[p].get("latitude") is not None]
        ordered = [p for p, pool in sorted(with_coords, key=lambda item: _distance(
            where, (item[1]["latitude"], item[1]["longitude"])))]
        ordered += [p for p in default if p not in ordered]
        return policy, ordered, "proximity: pools by distance from %.1f,%.1f" % where
    # least_outstanding_requests / least_connections
    load = st.coll(SIM).setdefault("pool_load", {}).setdefault(lb["id"], {})
    candidates = [p for p in default if _pool_usable(st, p) and _pool_weight(cfg, p) > 0]
    if not candidates:
        return policy, default, "%s (no healthy weighted pool)" % policy
    chosen = min(candidates, key=lambda p: ((load.get(p, 0) + 1) / _pool_weight(cfg, p), default.index(p)))
    return policy, [chosen] + [p for p in default if p != chosen], \
        "%s: fewest answers per unit of weight (%d so far)" % (policy, load.get(chosen, 0))


def _sheds(st, pool, ctx, session=False):
    """Whether load_shedding sends this request past the pool: default_percent of new traffic (random, or a hash
    of client_ip), session_percent of traffic that carries a session (always by hash)."""
    shedding = pool.get("load_shedding") or {}
    percent = shedding.get("session_percent" if session else "default_percent") or 0
    if percent <= 0:
        return False
    if session or shedding.get("default_policy") == "hash":
        draw = _hash_fraction("shed:%s:%s" % (pool["id"], ctx.get("client_ip") or ctx.get("cookie") or ""))
    else:
        draw = _rng(st, ctx.get("seed")).random()
    return draw * 100 < percent


def _pool_usable(st, pool_id):
    pool = st.coll(POOLS).get(pool_id)
    return bool(pool) and _pool_state(st, pool)[0]


def _pick_origin(st, lb, pool, ctx, exclude=(), affinity_ip=None):
    _healthy, view = _pool_state(st, pool)
    candidates = [o for o in pool["origins"] if view[o["name"]]["healthy"] and o["weight"] > 0
                  and o["name"] not in exclude]
    if not candidates:
        return None, "no healthy origin with a weight above 0"
    weights = [o["weight"] for o in candidates]
    policy = (pool.get("origin_steering") or {}).get("policy") or "random"
    if affinity_ip is not None:
        fraction = _hash_fraction("%s:%s" % (pool["id"], affinity_ip))
        return _weighted(candidates, weights, _Fixed(fraction)), "ip_cookie: hash of the client IP"
    if policy == "hash":
        fraction = _hash_fraction("%s:%s" % (pool["id"], ctx.get("client_ip") or "0.0.0.0"))
        return _weighted(candidates, weights, _Fixed(fraction)), "origin_steering hash of the client IP"
    if policy in ("least_outstanding_requests", "least_connections"):
        load = st.coll(SIM).setdefault("origin_load", {}).setdefault(pool["id"], {})
        chosen = min(candidates, key=lambda o: ((load.get(o["name"], 0) + 1) / o["weight"],
                                                pool["origins"].index(o)))
        return chosen, "origin_steering %s" % policy
    return _weighted(candidates, weights, _rng(st, ctx.get("seed"))), "origin_steering random (weighted)"


class _Fixed(object):
    def __init__(self, value):
        self.value = value

    def random(self):
        return self.value


def _find_lb(st, hostname):
    hostname = (hostname or "").strip().lower().rstrip(".")
    for zone_id, lbs in st.coll(LBS).items():
        for lb in lbs.values():
            if lb["name"] == hostname:
                return zone_id, lb
    raise ValueError("no load balancer for hostname %r" % hostname)


def _context(body):
    pop = (body.get("pop") or "").upper() or None
    country = (body.get("country") or "").upper() or None
    if pop and not country and pop in POPS:
        country = POPS[pop][0]
    region = (body.get("region") or "").upper() or (COUNTRY_REGION.get(country) if country else None)
    if body.get("latitude") is not None and body.get("longitude") is not None:
        location = (float(body["latitude"]), float(body["longitude"]))
    elif pop in POPS:
        location = POPS[pop][1:]
    elif region in REGION_CENTRE:
        location = REGION_CENTRE[region]
    else:
        location = None
    return {"pop": pop, "country": country, "region": region, "location": location, "seed": body.get("seed"),
            "client_ip": body.get("client_ip"), "cookie": body.get("cookie"), "headers": body.get("headers") or {},
            "path": body.get("path") or "/", "failing": set(body.get("failing") or [])}


def _policy(cfg):
    policy = cfg.get("steering_policy") or ""
    if policy == "":
        policy = "geo" if any(cfg.get(k) for k in ("region_pools", "country_pools", "pop_pools")) else "off"
    return policy


def _located(body, cfg):
    """The request as location_strategy sees it: a non-proxied answer is based on the EDNS client subnet
    (``ecs_country``) when prefer_ecs says so, else on the resolver (``resolver_country``) in mode resolver_ip,
    else on the data centre (``pop``/``country``)."""
    if cfg.get("proxied"):
        return body, "client (proxied)"
    strategy = cfg.get("location_strategy") or {}
    prefer = strategy.get("prefer_ecs") or "proximity"
    cleared = {"pop": None, "region": None, "latitude": None, "longitude": None}
    if body.get("ecs_country") and (prefer == "always" or prefer == _policy(cfg)):
        return dict(body, country=body["ecs_country"], **cleared), "EDNS client subnet"
    if (strategy.get("mode") or "pop") == "resolver_ip" and body.get("resolver_country"):
        return dict(body, country=body["resolver_country"], **cleared), "resolver IP"
    return body, "data centre (PoP)"


def _failing(ctx, origin):
    return origin["name"] in ctx["failing"] or origin["address"] in ctx["failing"]


def _failing_names(ctx, pool):
    return set(o["name"] for o in pool["origins"] if _failing(ctx, o))


def _set_cookie(cfg, token, ttl):
    attrs = cfg.get("session_affinity_attributes") or {}
    samesite = attrs.get("samesite") or "Auto"
    secure = attrs.get("secure") or "Auto"
    parts = ["__cflb=%s" % token, "Path=/", "Max-Age=%d" % int(ttl), "HttpOnly",
             "SameSite=%s" % ("Lax" if samesite == "Auto" else samesite)]
    if secure == "Always" or samesite == "None":
        parts.append("Secure")
    return "; ".join(parts)


@control_route("POST", "/lb/steer")
def control_steer(req, st):
    body = req.json
    zone_id, lb = _find_lb(st, body.get("hostname"))
    ctx = _context(body)
    answer = {"load_balancer": lb["id"], "hostname": lb["name"], "country": ctx["country"], "region": ctx["region"],
              "pop": ctx["pop"], "pool": None, "pool_name": None, "origin": None, "address": None, "port": None,
              "set_cookie": None, "session": None, "error": None, "rules": []}
    if not lb["enabled"]:
        answer["reason"] = "load balancer disabled"
        return answer
    cfg = dict(lb)
    facts = {"http.host": lb["name"], "http.request.uri.path": ctx["path"], "ip.src": ctx["client_ip"] or "",
             "cf.load_balancer.name": lb["name"], "cf.load_balancer.region": ctx["region"] or ""}
    answer["rules_skipped"] = []
    for rule in sorted(lb.get("rules") or [], key=lambda r: r.get("priority", 0)):
        if rule.get("disabled"):
            continue
        try:
            tree = _parse_condition(rule.get("condition") or "")
        except CFError as exc:
            answer["rules_skipped"].append({"name": rule.get("name") or "", "why": str(exc)})
            continue
        if not _eval(tree, facts):
            continue
        answer["rules"].append(rule.get("name") or "")
        if rule.get("fixed_response"):
            answer.update(fixed_response=rule["fixed_response"], reason="rule %r: fixed response" % rule.get("name"))
            return answer
        cfg.update({k: v for k, v in (rule.get("overrides") or {}).items() if v is not None})
        if rule.get("terminates"):
            break
    located, answer["located_by"] = _located(body, cfg)
    if located is not body:
        ctx = _context(located)
        answer.update(country=ctx["country"], region=ctx["region"], pop=ctx["pop"])
    policy, order, how = _order(st, cfg, lb, ctx, answer)
    answer["policy"] = policy
    pools = st.coll(POOLS)
    tried = []
    chosen = None
    shed = []
    for pool_id in order:
        healthy = _pool_usable(st, pool_id)
        tried.append({"pool": pool_id, "name": pools[pool_id]["name"] if pool_id in pools else None,
                      "healthy": healthy})
        if healthy and chosen is None:
            if _sheds(st, pools[pool_id], ctx, session=bool(ctx["cookie"] or ctx["headers"])):
                shed.append(pools[pool_id]["name"])
                continue
            chosen = pool_id
    reason = how
    if shed:
        reason += "; load shedding skipped %s" % ", ".join(shed)
    if chosen is None:
        chosen = cfg.get("fallback_pool")
        reason = "no healthy pool in %s: fallback_pool" % how
    elif chosen != order[0]:
        reason = "%s; failed over from unhealthy %s" % (how, ", ".join(
            t["name"] for t in tried[:[t["pool"] for t in tried].index(chosen)]))
    answer["tried"] = tried
    affinity = cfg.get("session_affinity") or "none"
    if affinity != "none" and not lb.get("proxied"):
        reason += "; session affinity ignored (it needs a proxied load balancer)"
        affinity = "none"
    attrs = dict(SAA_DEFAULTS)
    attrs.update(cfg.get("session_affinity_attributes") or {})
    ttl = cfg.get("session_affinity_ttl") or AFFINITY_TTL.get(affinity, (0, 0, 0))[2]
    sessions = st.coll(SIM).setdefault("sessions", {}).setdefault(lb["id"], {})
    key = None
    if affinity in ("cookie", "ip_cookie"):
        key = ctx["cookie"]
    elif affinity == "header":
        names = attrs.get("headers") or []
        given = {k.lower(): v for k, v in ctx["headers"].items()}
        present = [n for n in names if n.lower() in given]
        if present and (len(present) == len(names) or not attrs.get("require_all_headers")):
            key = "h:" + hashlib.sha1(json.dumps([[n, given[n.lower()]] for n in present]).encode()).hexdigest()
        elif names:
            reason += "; no session (session headers missing)"
    now = time.time()
    pinned = sessions.get(key) if key else None
    if pinned and pinned["expires"] < now:
        pinned = None
    zdf = attrs.get("zero_downtime_failover") or "none"
    if pinned and pinned["pool"] in pools:
        pool = pools[pinned["pool"]]
        origin = next((o for o in pool["origins"] if o["name"] == pinned["origin"]), None)
        _healthy, view = _pool_state(st, pool)
        if origin is not None and _pool_usable(st, pool["id"]) and view[origin["name"]]["healthy"]:
            if not _failing(ctx, origin):
                pinned["expires"] = now + ttl if affinity == "header" else pinned["expires"]
                return _answer(st, answer, lb, pool, origin, "session affinity (%s): pinned origin" % affinity,
                               session=key)
            if zdf == "none":
                answer["error"] = "522"
                return _answer(st, answer, lb, pool, origin, "session affinity: pinned origin is failing and "
                               "zero_downtime_failover is none: the request fails", session=key)
            other, _why = _pick_origin(st, lb, pool, ctx, exclude=_failing_names(ctx, pool))
            if other is None and (cfg.get("adaptive_routing") or {}).get("failover_across_pools"):
                for pool_id in [t["pool"] for t in tried if t["healthy"] and t["pool"] != pool["id"]]:
                    other, _why = _pick_origin(st, lb, pools[pool_id], ctx, exclude=_failing_names(ctx, pools[pool_id]))
                    if other is not None:
                        pool = pools[pool_id]
                        break
            if other is None:
                answer["error"] = "522"
                return _answer(st, answer, lb, pool, origin, "session affinity: pinned origin is failing and no "
                               "alternative is healthy", session=key)
            if zdf == "temporary":
                return _answer(st, answer, lb, pool, other, "zero-downtime failover (temporary): pinned origin %s "
                               "is failing; the session stays pinned" % origin["name"], session=key)
            sessions[key] = {"pool": pool["id"], "origin": other["name"], "expires": pinned["expires"]}
            answer["set_cookie"] = _set_cookie(cfg, key, ttl) if affinity != "header" else None
            return _answer(st, answer, lb, pool, other, "zero-downtime failover (sticky): session moved from %s"
                           % origin["name"], session=key)
        reason += "; pinned origin %s is unhealthy: new session" % pinned["origin"]
    pool = pools.get(chosen)
    if pool is None:
        answer["reason"] = reason + "; pool %s does not exist" % chosen
        return answer
    origin, why = _pick_origin(st, lb, pool, ctx, affinity_ip=(ctx["client_ip"] or "0.0.0.0")
                               if affinity == "ip_cookie" else None)
    if origin is None:
        enabled = [o for o in pool["origins"] if o["enabled"]]
        if not enabled:
            answer["reason"] = reason + "; pool %s has no enabled origin" % pool["name"]
            return answer
        origin, why = enabled[0], "no healthy origin: first enabled origin of the fallback pool"
    if _failing(ctx, origin):
        other, _why = _pick_origin(st, lb, pool, ctx, exclude=_failing_names(ctx, pool))
        if other is None and (cfg.get("adaptive_routing") or {}).get("failover_across_pools"):
            for pool_id in [t["pool"] for t in tried if t["healthy"] and t["pool"] != pool["id"]]:
                other, _why = _pick_origin(st, lb, pools[pool_id], ctx,
                                           exclude=_failing_names(ctx, pools[pool_id]))
                if other is not None:
                    pool = pools[pool_id]
                    reason += "; failover_across_pools"
                    break
        if other is None:
            answer["error"] = "522"
            why += "; origin %s is failing and no alternative is healthy" % origin["name"]
        else:
            why += "; zero-downtime failover from failing origin %s" % origin["name"]
            origin = other
    if affinity in ("cookie", "ip_cookie", "header") and (key or affinity != "header"):
        if not key:
            key = hashlib.sha1(("%s:%s:%s:%d" % (lb["id"], pool["id"], origin["name"],
                                                 st.coll(SIM).get("draws", 0) + len(sessions))).encode()).hexdigest()
        sessions[key] = {"pool": pool["id"], "origin": origin["name"], "expires": now + ttl}
        if affinity != "header":
            answer["set_cookie"] = _set_cookie(cfg, key, ttl)
        why += "; new session"
    return _answer(st, answer, lb, pool, origin, "%s; %s" % (reason, why), session=key)


def _answer(st, answer, lb, pool, origin, reason, session=None):
    answer.update(pool=pool["id"], pool_name=pool["name"], origin=origin["name"], address=origin["address"],
                  port=origin.get("port") or None, reason=reason, session=session)
    sim = st.coll(SIM)
    pool_load = sim.setdefault("pool_load", {}).setdefault(lb["id"], {})
    pool_load[pool["id"]] = pool_load.get(pool["id"], 0) + 1
    origin_load = sim.setdefault("origin_load", {}).setdefault(pool["id"], {})
    origin_load[origin["name"]] = origin_load.get(origin["name"], 0) + 1
    _count_for_analytics(st, lb, answer)
    return answer


def _count_for_analytics(st, lb, answer):
    """Hook (owned by graphql.py): each answered request counts in the zone's GraphQL analytics."""
    # Imported here: graphql.py is a separate family and imports nothing from this module.
    from . import graphql  # pylint: disable=import-outside-toplevel
    zone_id = next((z for z, lbs in st.coll(LBS).items() if lb["id"] in lbs), None)
    if zone_id is not None:
        status = int(answer["error"]) if str(answer.get("error") or "").isdigit() else 200
        graphql.count_steer(st, zone_id, lb["name"], answer.get("country"), status)
