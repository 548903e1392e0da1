# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load balancing: the facts shared by lb_monitor, lb_pool, load_balancer and lb_pool_health_info.

Region and country tables, the server defaults (so that unset, empty and default compare equal), the
validation rules the API applies (checked before any write, with messages naming the field), canonical forms
for comparison (origins by name, header names case-insensitively), and reference resolution (pool name -> id,
monitor description -> id).

Sources: the SDK models (cloudflare/types/load_balancers/*), the Terraform provider's schema.go files and the
OpenAPI copy (see ../shared/reference/cloudflare-api.md sections C4-C6).
"""

from __future__ import annotations

import ipaddress
import math
import re

# --- tables -------------------------------------------------------------------------------------------------------

REGIONS = {
    "WNAM": "Western North America", "ENAM": "Eastern North America", "WEU": "Western Europe",
    "EEU": "Eastern Europe", "NSAM": "Northern South America", "SSAM": "Southern South America",
    "OC": "Oceania", "ME": "Middle East", "NAF": "Northern Africa", "SAF": "Southern Africa",
    "SAS": "Southern Asia", "SEAS": "South East Asia", "NEAS": "North East Asia",
}
# check_regions also accepts these two (CHINA: SDK only; ALL_REGIONS: Enterprise).
CHECK_REGIONS = sorted(REGIONS) + ["CHINA", "ALL_REGIONS"]

# ISO 3166-1 alpha-2 codes by Cloudflare region. US and CA span WNAM and ENAM (Cloudflare splits them by state
# and province); at country level they are listed under ENAM, MX under WNAM. An approximation of Cloudflare's
# region mapping (GET /accounts/{id}/load_balancers/regions), used to validate country codes and to find the
# region of a country when steering.
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
COUNTRY_REGION = dict((cc, region) for region, codes in _REGION_COUNTRIES.items() for cc in codes.split())

POOL_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
POP_CODE = re.compile(r"^[A-Z]{3}$")
OBJECT_ID = re.compile(r"^[0-9a-f]{32}$")

MONITOR_TYPES = ("http", "https", "tcp", "udp_icmp", "icmp_ping", "smtp")
HTTP_TYPES = ("http", "https")
PORT_REQUIRED_TYPES = ("tcp", "udp_icmp", "smtp")
HTTP_ONLY_FIELDS = ("header", "path", "expected_codes", "expected_body", "follow_redirects", "allow_insecure",
                    "probe_zone")
HTTP_METHODS = ("GET", "HEAD")
STEERING_POLICIES = ("off", "geo", "random", "dynamic_latency", "proximity", "least_outstanding_requests",
                     "least_connections", "")
SESSION_AFFINITIES = ("none", "cookie", "ip_cookie", "header")
ORIGIN_STEERING = ("random", "hash", "least_outstanding_requests", "least_connections")
AFFINITY_TTL = {"cookie": (1800, 604800, 82800), "ip_cookie": (1800, 604800, 82800), "header": (30, 3600, 1800)}
EXPECTED_CODES = re.compile(r"^[1-5][0-9x]{2}$")

# Monitor limits the emulator and the module both apply (Cloudflare documents the timeout < interval rule; the
# ranges are the plan-independent bounds of the dashboard).
MONITOR_LIMITS = {"interval": (5, 3600), "timeout": (1, 10), "retries": (0, 5), "consecutive_up": (0, 100),
                  "consecutive_down": (0, 100), "port": (0, 65535)}

# --- server defaults (unset == default) ---------------------------------------------------------------------------

MONITOR_DEFAULTS = {
    "type": "http", "interval": 60, "timeout": 5, "retries": 2, "consecutive_up": 0, "consecutive_down": 0,
    "description": "", "port": 0, "expected_body": "", "follow_redirects": False, "allow_insecure": False,
    "probe_zone": "", "header": {},
}
MONITOR_HTTP_DEFAULTS = {"method": "GET", "path": "/", "expected_codes": "200"}
MONITOR_TCP_DEFAULTS = {"method": "connection_established"}

ORIGIN_DEFAULTS = {"enabled": True, "weight": 1, "port": 0, "flatten_cname": True, "header": {},
                   "virtual_network_id": ""}
POOL_DEFAULTS = {
    "description": "", "enabled": True, "minimum_origins": 1, "monitor": "", "notification_email": "",
    "check_regions": [], "latitude": None, "longitude": None,
    "load_shedding": {"default_percent": 0, "default_policy": "random", "session_percent": 0,
                      "session_policy": "hash"},
    "origin_steering": {"policy": "random"},
    "notification_filter": {},
}
SESSION_AFFINITY_ATTRIBUTES_DEFAULTS = {"samesite": "Auto", "secure": "Auto", "zero_downtime_failover": "none",
                                        "drain_duration": 0, "require_all_headers": False, "headers": []}
LB_DEFAULTS = {
    "description": "", "enabled": True, "proxied": False, "ttl": 30, "steering_policy": "",
    "session_affinity": "none", "session_affinity_attributes": SESSION_AFFINITY_ATTRIBUTES_DEFAULTS,
    "region_pools": {}, "country_pools": {}, "pop_pools": {},
    "random_steering": {"default_weight": 1, "pool_weights": {}},
    "adaptive_routing": {"failover_across_pools": False},
    "location_strategy": {"mode": "pop", "prefer_ecs": "proximity"},
    "rules": [],
}
RULE_DEFAULTS = {"condition": "", "disabled": False, "priority": 0, "terminates": False, "overrides": {},
                 "fixed_response": {}}


def monitor_defaults(mtype):
    """The server defaults of a monitor of this type (method and the HTTP fields depend on it)."""
    defaults = dict(MONITOR_DEFAULTS)
    if (mtype or "http") in HTTP_TYPES:
        defaults.update(MONITOR_HTTP_DEFAULTS)
    elif mtype == "tcp":
        defaults.update(MONITOR_TCP_DEFAULTS)
    return defaults


# --- validation (pure: return a list of messages, each naming its field) -------------------------------------------


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_weight(value, field, errors):
    if value is None:
        return
    if not _is_number(value) or not 0 <= value <= 1:
        errors.append("%s: must be a number from 0 to 1 (got %r)" % (field, value))
    elif abs(round(value * 100) - value * 100) > 1e-6:
        errors.append("%s: must be a multiple of 0.01 (got %r)" % (field, value))


def check_pool_name(name, field="name"):
    if not isinstance(name, str) or not POOL_NAME.match(name):
        return ["%s: %r is not a valid pool name (only letters, digits, hyphens and underscores are allowed)"
                % (field, name)]
    return []


def check_region_codes(codes, field, errors, allow_check_only=False):
    allowed = CHECK_REGIONS if allow_check_only else sorted(REGIONS)
    for code in codes or []:
        if code not in allowed:
            errors.append("%s: %r is not a Cloudflare region code (one of %s)" % (field, code, ", ".join(allowed)))


def check_country_codes(codes, field, errors):
    for code in codes or []:
        if code not in COUNTRY_REGION:
            errors.append("%s: %r is not an ISO 3166-1 alpha-2 country code" % (field, code))


def check_pop_codes(codes, field, errors):
    for code in codes or []:
        if not isinstance(code, str) or not POP_CODE.match(code):
            errors.append("%s: %r is not a Cloudflare data centre (PoP) code such as LAX or FRA" % (field, code))


def check_expected_codes(value, field, errors):
    if value in (None, ""):
        return
    parts = [p.strip() for p in str(value).split(",")]
    if not all(EXPECTED_CODES.match(p) for p in parts):
        errors.append("%s: %r is not an HTTP status code or range such as 200, 2xx or 200,301" % (field, value))


def check_monitor(mon, partial=False):
    """Rules of a monitor body (wire names, with ``timeout``); ``mon`` holds the merged values to be sent.

    ``partial``: ``mon`` holds only what a task set (the monitor may exist): rules that need a value the task left
    unset (the type, or both timeout and interval) are skipped; they are checked again on the merged body."""
    errors = []
    if partial and not mon.get("type"):
        mon = dict(mon, type="http")
        type_known = False
    else:
        type_known = True
    mtype = mon.get("type") or "http"
    if mtype not in MONITOR_TYPES:
        errors.append("type: must be one of %s (got %r)" % (", ".join(MONITOR_TYPES), mtype))
        return errors
    for key, (low, high) in MONITOR_LIMITS.items():
        value = mon.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors.append("%s: must be an integer from %d to %d (got %r)" % (key, low, high, value))
    interval = mon.get("interval", MONITOR_DEFAULTS["interval"])
    timeout = mon.get("timeout", MONITOR_DEFAULTS["timeout"])
    both = mon.get("interval") is not None and mon.get("timeout") is not None
    if (both or not partial) and _is_number(interval) and _is_number(timeout) and timeout >= interval:
        errors.append("timeout: must be less than interval (timeout %s, interval %s)" % (timeout, interval))
    port = mon.get("port") or 0
    if mtype in PORT_REQUIRED_TYPES and not port and (not partial or "port" in mon):
        errors.append("port: is required for %s monitors" % mtype)
    if mtype == "icmp_ping" and port:
        errors.append("port: is not used by icmp_ping monitors (leave it unset)")
    if not type_known:
        mtype = None
    if mtype and mtype not in HTTP_TYPES:
        for key in HTTP_ONLY_FIELDS:
            if mon.get(key) not in (None, "", {}, [], False):
                errors.append("%s: is only valid for http and https monitors (type is %s)" % (key, mtype))
    method = mon.get("method")
    if method not in (None, ""):
        if mtype is None:
            if method not in HTTP_METHODS + ("connection_established",):
                errors.append("method: must be GET, HEAD or connection_established (got %r)" % method)
        elif mtype in HTTP_TYPES and method not in HTTP_METHODS:
            errors.append("method: must be GET or HEAD for %s monitors (got %r)" % (mtype, method))
        elif mtype == "tcp" and method != "connection_established":
            errors.append("method: must be connection_established for tcp monitors (got %r)" % method)
    check_expected_codes(mon.get("expected_codes"), "expected_codes", errors)
    header = mon.get("header") or {}
    if not isinstance(header, dict):
        errors.append("header: must be a mapping of header names to lists of values")
    else:
        seen = {}
        for name, values in header.items():
            low = name.lower()
            if low == "user-agent":
                errors.append("header: the User-Agent header cannot be overridden")
            if low in seen:
                errors.append("header: %r and %r are the same header (names are case-insensitive)" % (seen[low], name))
            seen[low] = name
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                errors.append("header.%s: must be a list of strings" % name)
    return errors


def check_pool(pool):
    errors = check_pool_name(pool.get("name"))
    origins = pool.get("origins")
    if not isinstance(origins, list) or not origins:
        errors.append("origins: at least one origin is required")
        origins = []
    names = set()
    for index, origin in enumerate(origins):
        where = "origins[%d]" % index
        name = origin.get("name")
        if not name:
            errors.append("%s.name: is required (origins are identified by name)" % where)
        elif name in names:
            errors.append("%s.name: %r appears twice (origin names must be unique in a pool)" % (where, name))
        names.add(name)
        if not origin.get("address"):
            errors.append("%s.address: is required" % where)
        check_weight(origin.get("weight"), "%s.weight" % where, errors)
        port = origin.get("port")
        if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535):
            errors.append("%s.port: must be an integer from 0 to 65535 (got %r)" % (where, port))
        header = origin.get("header") or {}
        for hname in header:
            if hname.lower() != "host":
                errors.append("%s.header: only the Host header is supported on origins (got %r)" % (where, hname))
    minimum = pool.get("minimum_origins")
    if minimum is not None and (not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0):
        errors.append("minimum_origins: must be a non-negative integer (got %r)" % minimum)
    lat, lon = pool.get("latitude"), pool.get("longitude")
    if (lat is None) != (lon is None):
        errors.append("latitude: latitude and longitude must be set together")
    if lat is not None and (not _is_number(lat) or not -90 <= lat <= 90):
        errors.append("latitude: must be a number from -90 to 90 (got %r)" % lat)
    if lon is not None and (not _is_number(lon) or not -180 <= lon <= 180):
        errors.append("longitude: must be a number from -180 to 180 (got %r)" % lon)
    check_region_codes(pool.get("check_regions"), "check_regions", errors, allow_check_only=True)
    steering = (pool.get("origin_steering") or {}).get("policy")
    if steering is not None and steering not in ORIGIN_STEERING:
        errors.append("origin_steering.policy: must be one of %s (got %r)" % (", ".join(ORIGIN_STEERING), steering))
    shedding = pool.get("load_shedding") or {}
    for key in ("default_percent", "session_percent"):
        value = shedding.get(key)
        if value is not None and (not _is_number(value) or not 0 <= value <= 100):
            errors.append("load_shedding.%s: must be a number from 0 to 100 (got %r)" % (key, value))
    if shedding.get("default_policy") not in (None, "random", "hash"):
        errors.append("load_shedding.default_policy: must be random or hash")
    if shedding.get("session_policy") not in (None, "hash"):
        errors.append("load_shedding.session_policy: must be hash")
    return errors


def check_affinity(session_affinity, ttl, attributes, enterprise=False):
    errors = []
    affinity = session_affinity or "none"
    if affinity not in SESSION_AFFINITIES:
        errors.append("session_affinity: must be one of %s (got %r)" % (", ".join(SESSION_AFFINITIES), affinity))
        return errors
    if ttl is not None:
        if affinity in AFFINITY_TTL:
            low, high, _default = AFFINITY_TTL[affinity]
            if not _is_number(ttl) or not low <= ttl <= high:
                errors.append("session_affinity_ttl: must be from %d to %d seconds for session_affinity %s (got %r)"
                              % (low, high, affinity, ttl))
    attributes = attributes or {}
    choices = {"samesite": ("Auto", "Lax", "None", "Strict"), "secure": ("Auto", "Always", "Never"),
               "zero_downtime_failover": ("none", "temporary", "sticky")}
    for key, allowed in choices.items():
        if attributes.get(key) is not None and attributes[key] not in allowed:
            errors.append("session_affinity_attributes.%s: must be one of %s (got %r)"
                          % (key, ", ".join(allowed), attributes[key]))
    if attributes.get("samesite") == "None" and attributes.get("secure") == "Never":
        errors.append("session_affinity_attributes.secure: cannot be Never when samesite is None")
    drain = attributes.get("drain_duration")
    if drain is not None and (not _is_number(drain) or drain < 0):
        errors.append("session_affinity_attributes.drain_duration: must be a non-negative number of seconds")
    headers = attributes.get("headers") or []
    if affinity == "header":
        if not headers:
            errors.append("session_affinity_attributes.headers: at least one header name is required for "
                          "session_affinity header")
        limit = 5 if enterprise else 1
        if len(headers) > limit:
            errors.append("session_affinity_attributes.headers: at most %d header name%s on this plan (got %d)"
                          % (limit, "" if limit == 1 else "s", len(headers)))
        if attributes.get("zero_downtime_failover") == "sticky":
            errors.append("session_affinity_attributes.zero_downtime_failover: sticky is not supported with "
                          "session_affinity header")
    return errors


def check_steering_maps(body, errors, enterprise=False, where=""):
    """Keys of region/country/pop maps and random_steering weights; pool existence is checked by the caller."""
    policy = body.get("steering_policy")
    if policy is not None and policy not in STEERING_POLICIES:
        errors.append("%ssteering_policy: must be one of %s (got %r)"
                      % (where, ", ".join(p or '""' for p in STEERING_POLICIES), policy))
    check_region_codes((body.get("region_pools") or {}).keys(), where + "region_pools", errors)
    check_country_codes((body.get("country_pools") or {}).keys(), where + "country_pools", errors)
    pops = body.get("pop_pools") or {}
    check_pop_codes(pops.keys(), where + "pop_pools", errors)
    if pops and not enterprise:
        errors.append("%spop_pools: steering by data centre (PoP) needs an Enterprise plan" % where)
    steering = body.get("random_steering") or {}
    check_weight(steering.get("default_weight"), where + "random_steering.default_weight", errors)
    for pool, weight in (steering.get("pool_weights") or {}).items():
        check_weight(weight, "%srandom_steering.pool_weights.%s" % (where, pool), errors)
    location = body.get("location_strategy") or {}
    if location.get("mode") not in (None, "pop", "resolver_ip"):
        errors.append("%slocation_strategy.mode: must be pop or resolver_ip" % where)
    if location.get("prefer_ecs") not in (None, "always", "never", "proximity", "geo"):
        errors.append("%slocation_strategy.prefer_ecs: must be always, never, proximity or geo" % where)


def pool_references(body):
    """(field, pool) for every pool an LB body (or a rule's overrides) refers to."""
    refs = []
    for pool in body.get("default_pools") or []:
        refs.append(("default_pools", pool))
    if body.get("fallback_pool"):
        refs.append(("fallback_pool", body["fallback_pool"]))
    for key in ("region_pools", "country_pools", "pop_pools"):
        for code, pools in (body.get(key) or {}).items():
            for pool in pools or []:
                refs.append(("%s.%s" % (key, code), pool))
    for pool in ((body.get("random_steering") or {}).get("pool_weights") or {}):
        refs.append(("random_steering.pool_weights", pool))
    return refs


# --- canonical forms (comparison by meaning) --------------------------------------------------------------------


def header_map(value):
    """A header mapping with every value a list of strings ({'Host': 'a'} -> {'Host': ['a']})."""
    out = {}
    for name, values in (value or {}).items():
        if values is None:
            continue
        if isinstance(values, (str, int, float)):
            values = [str(values)]
        out[name] = [str(v) for v in values]
    return out


def header_key(value):
    """A header mapping keyed by lower-case name, for comparison (header names are case-insensitive)."""
    return dict((name.lower(), list(values)) for name, values in header_map(value).items())


def origin_header(value):
    """An origin's header as the API stores it: {'Host': [...]} (the only supported name, any case accepted)."""
    hosts = []
    for name, values in header_map(value).items():
        if name.lower() == "host":
            hosts.extend(values)
    return {"Host": hosts} if hosts else {}


def origin_address(value):
    """An origin address as the API stores it: a canonical IP, or a lower-case hostname without trailing dot."""
    if not isinstance(value, str):
        return value
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value.strip().lower().rstrip(".")


def canonical_origin(origin, fill_defaults=True):
    out = {}
    for key, value in origin.items():
        if key in ("disabled_at", "healthy", "failure_reason"):
            continue
        if key == "header":
            value = origin_header(value)
        if value is not None:
            out[key] = value
    if fill_defaults:
        for key, value in ORIGIN_DEFAULTS.items():
            out.setdefault(key, value)
        if out.get("virtual_network_id") is None:
            out["virtual_network_id"] = ""
        if _is_number(out.get("weight")):
            out["weight"] = round(float(out["weight"]), 2)
        if not out.get("header"):
            out["header"] = {}
    return out


def canonical_origins(origins, fill_defaults=True):
    """Origins sorted by name with defaults filled in: the order of a task's list does not matter (case L1)."""
    return sorted((canonical_origin(o, fill_defaults) for o in origins or []),
                  key=lambda o: str(o.get("name", "")))


def same_origins(desired, actual):
    """Whether the desired origins (only the keys the task set) mean the actual ones."""
    want = dict((o["name"], o) for o in canonical_origins(desired, fill_defaults=False))
    have = dict((o.get("name"), o) for o in canonical_origins(actual))
    if set(want) != set(have):
        return False
    for name, origin in want.items():
        for key, value in origin.items():
            if key == "weight" and _is_number(value):
                value = round(float(value), 2)
            if key == "header":
                value = origin_header(value)
            base = have[name].get(key, ORIGIN_DEFAULTS.get(key))
            if key == "address":
                value, base = origin_address(value), origin_address(base)
            if not _equal(value, base if base is not None else ORIGIN_DEFAULTS.get(key)):
                return False
    return True


def _empty(value):
    return value is None or value == {} or value == [] or value == ""


def _equal(desired, actual):
    if _empty(desired) and _empty(actual):
        return True
    if isinstance(desired, bool) or isinstance(actual, bool):
        return desired is actual
    if _is_number(desired) and _is_number(actual):
        return math.isclose(float(desired), float(actual), abs_tol=1e-9)
    if isinstance(desired, dict) and isinstance(actual, dict):
        keys = set(desired) | set(actual)
        return all(_equal(desired.get(k), actual.get(k)) for k in keys)
    if isinstance(desired, list) and isinstance(actual, list):
        return len(desired) == len(actual) and all(_equal(d, a) for d, a in zip(desired, actual))
    return desired == actual


def same_value(desired, actual, default=None):
    """Deep comparison where keys the task left unset (None) are not compared, empty equals missing, and a missing
    actual value means ``default`` (dicts are compared key by key with their own defaults)."""
    if actual is None:
        actual = default
    if isinstance(desired, dict):
        actual = actual if isinstance(actual, dict) else {}
        defaults = default if isinstance(default, dict) else {}
        if not desired:
            return all(_empty(v) or _equal(v, defaults.get(k)) for k, v in actual.items())
        return all(same_value(v, actual.get(k), defaults.get(k)) for k, v in desired.items() if v is not None)
    return _equal(desired, actual)


# --- reference resolution ----------------------------------------------------------------------------------------


class Index(object):
    """Objects of one kind by id and by a human key; ``resolve`` fails clearly on unknown or ambiguous names."""

    def __init__(self, items, key, noun):
        self.items = list(items or [])
        self.noun = noun
        self.by_id = dict((item["id"], item) for item in self.items)
        self.by_key = {}
        for item in self.items:
            self.by_key.setdefault(item.get(key) or "", []).append(item)

    def find(self, ref):
        """(item, error): by id first, then by key."""
        if ref in self.by_id:
            return self.by_id[ref], None
        found = self.by_key.get(ref, [])
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return None, "%d %ss are named %r (ids %s); refer to it by id" % (
                len(found), self.noun, ref, ", ".join(sorted(i["id"] for i in found)))
        return None, "%s %r does not exist" % (self.noun, ref)

    def resolve(self, ref, field, errors):
        item, error = self.find(ref)
        if error:
            errors.append("%s: %s" % (field, error))
            return ref
        return item["id"]


def resolve_pool_refs(body, pools, errors, where=""):
    """Replace pool names by ids in an LB body (in place): default_pools, fallback_pool, the steering maps and
    random_steering.pool_weights."""
    def one(ref, field):
        return pools.resolve(ref, where + field, errors)

    if body.get("default_pools") is not None:
        body["default_pools"] = [one(p, "default_pools") for p in body["default_pools"]]
    if body.get("fallback_pool") is not None:
        body["fallback_pool"] = one(body["fallback_pool"], "fallback_pool")
    for key in ("region_pools", "country_pools", "pop_pools"):
        if body.get(key) is not None:
            body[key] = dict((code, [one(p, "%s.%s" % (key, code)) for p in (refs or [])])
                             for code, refs in body[key].items())
    steering = body.get("random_steering")
    if steering and steering.get("pool_weights") is not None:
        steering["pool_weights"] = dict((one(p, "random_steering.pool_weights"), w)
                                        for p, w in steering["pool_weights"].items())
    return body
