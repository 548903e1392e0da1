"""IP Access rules (firewall/access_rules/rules) at zone and account level.

From the SDK (types/firewall/access_rule_*): modes block|challenge|whitelist|js_challenge|managed_challenge,
targets ip|ip6|ip_range|asn|country, IPv4 ranges only /16 and /24, IPv6 ranges /32, /48 and /64; PATCH changes
only mode and notes (OpenAPI copy); list filters configuration.target, configuration.value, mode, notes
(case-insensitive substring), match=any|all, order, direction; v4 page/per_page paging.
A zone listing also shows the account's rules (scope type "organization"), which apply to every zone.
Error codes are the emulator's choice (400 with 10001 validation / 10009 duplicate); values are stored in the form
the API shows: IPv6 compressed, ASN as "AS<number>", country upper case.
"""
from __future__ import annotations

import ipaddress
import re

from .core import CFError, paginate, route

MODES = ("block", "challenge", "whitelist", "js_challenge", "managed_challenge")
TARGETS = ("ip", "ip6", "ip_range", "asn", "country")
ZKEY, AKEY = "zone:access_rules", "account:access_rules"


def _bad(message, pointer=None):
    return CFError(400, 10001, message, pointer=pointer)


def _canonical_value(target, value):
    if not isinstance(value, str) or not value.strip():
        raise _bad("configuration.value is required", "/configuration/value")
    value = value.strip()
    try:
        if target == "ip":
            return str(ipaddress.IPv4Address(value))
        if target == "ip6":
            return str(ipaddress.IPv6Address(value))
        if target == "ip_range":
            net = ipaddress.ip_network(value, strict=True)
            allowed = (16, 24) if net.version == 4 else (32, 48, 64)
            if net.prefixlen not in allowed:
                raise _bad("firewallaccessrules.api.validation_error: IP ranges must be /16 or /24 for IPv4 and "
                           "/32, /48 or /64 for IPv6", "/configuration/value")
            return str(net)
    except ValueError:
        raise _bad("firewallaccessrules.api.validation_error: %r is not a valid %s" % (value, target),
                   "/configuration/value")
    if target == "asn":
        found = re.match(r"^(?:AS)?(\d{1,10})$", value, re.I)
        if not found or int(found.group(1)) > 4294967295:
            raise _bad("firewallaccessrules.api.validation_error: %r is not a valid ASN" % value,
                       "/configuration/value")
        return "AS%d" % int(found.group(1))
    if target == "country":
        if not re.match(r"^[A-Za-z][A-Za-z0-9]$", value):
            raise _bad("firewallaccessrules.api.validation_error: %r is not a two-letter country code" % value,
                       "/configuration/value")
        return value.upper()
    raise _bad("configuration.target must be one of %s" % ", ".join(TARGETS), "/configuration/target")


def _owner(st, kind, owner_id):
    if kind == "zones":
        zone = st.zone(owner_id)
        return st.data.setdefault(ZKEY, {}).setdefault(owner_id, {}), {"id": owner_id, "name": zone["name"],
                                                                       "type": "zone"}
    acc = st.account(owner_id)
    return st.data.setdefault(AKEY, {}).setdefault(owner_id, {}), {"id": owner_id, "name": acc["name"],
                                                                   "type": "organization"}


def _visible(st, kind, owner_id):
    rules = _owner(st, kind, owner_id)[0]
    items = list(rules.values())
    if kind == "zones":
        account = st.data["zones"][owner_id]["account_id"]
        items += list(st.data.get(AKEY, {}).get(account, {}).values())
    return items


def _check_mode(mode):
    if mode not in MODES:
        raise _bad("mode must be one of %s" % ", ".join(MODES), "/mode")


def _check_notes(notes):
    if notes is not None and not isinstance(notes, str):
        raise _bad("notes must be a string", "/notes")


def _list(req, st, kind, owner_id):
    items = _visible(st, kind, owner_id)
    filters = []
    target = req.arg("configuration.target")
    if target:
        filters.append(lambda r: r["configuration"]["target"] == target)
    value = req.arg("configuration.value")
    if value:
        wanted = value
        try:
            wanted = _canonical_value(target, value) if target else value
        except CFError:
            pass
        filters.append(lambda r: r["configuration"]["value"] == wanted or r["configuration"]["value"] == value)
    mode = req.arg("mode")
    if mode:
        filters.append(lambda r: r["mode"] == mode)
    notes = req.arg("notes")
    if notes:
        filters.append(lambda r: notes.lower() in (r.get("notes") or "").lower())
    match = req.arg("match", "all")
    if match not in ("any", "all"):
        raise _bad("match must be any or all", "/match")
    if filters:
        combine = any if match == "any" else all
        items = [r for r in items if combine(f(r) for f in filters)]
    order = req.arg("order")
    key = {"configuration.target": lambda r: r["configuration"]["target"],
           "configuration.value": lambda r: r["configuration"]["value"], "mode": lambda r: r["mode"]}
    if order and order not in key:
        raise _bad("order must be one of configuration.target, configuration.value, mode", "/order")
    items.sort(key=key.get(order, lambda r: r["created_on"]))
    if req.arg("direction") == "desc":
        items.reverse()
    return paginate(req, items, default_per_page=20, max_per_page=1000, min_per_page=1)


def _create(req, st, kind, owner_id):
    rules, scope = _owner(st, kind, owner_id)
    body = req.json
    unknown = sorted(set(body) - {"configuration", "mode", "notes"})
    if unknown:
        raise _bad("unknown field %s" % unknown[0], "/" + unknown[0])
    config = body.get("configuration")
    if not isinstance(config, dict) or config.get("target") not in TARGETS:
        raise _bad("configuration.target must be one of %s" % ", ".join(TARGETS), "/configuration/target")
    _check_mode(body.get("mode"))
    _check_notes(body.get("notes"))
    value = _canonical_value(config["target"], config.get("value"))
    for rule in rules.values():
        if rule["configuration"] == {"target": config["target"], "value": value}:
            raise CFError(400, 10009, "firewallaccessrules.api.duplicate_of_existing")
    now = st.now()
    rule = {"id": st.new_id(), "allowed_modes": list(MODES),
            "configuration": {"target": config["target"], "value": value},
            "mode": body["mode"], "notes": body.get("notes") or "", "created_on": now, "modified_on": now,
            "scope": scope}
    rules[rule["id"]] = rule
    return rule


def _find(st, kind, owner_id, rule_id):
    rules = _owner(st, kind, owner_id)[0]
    rule = rules.get(rule_id)
    if rule is None:
        raise CFError(404, 10006, "firewallaccessrules.api.not_found")
    return rules, rule


def _edit(req, st, kind, owner_id, rule_id):
    rule = _find(st, kind, owner_id, rule_id)[1]
    body = req.json
    unknown = sorted(set(body) - {"mode", "notes", "configuration"})
    if unknown:
        raise _bad("unknown field %s" % unknown[0], "/" + unknown[0])
    if "configuration" in body:
        # The SDK's edit() requires configuration (AccessRuleEditParams); the API changes only mode and notes,
        # so the configuration sent must be the rule's own.
        config = body["configuration"] or {}
        same = config.get("target") == rule["configuration"]["target"]
        if same:
            try:
                same = _canonical_value(config["target"], config.get("value")) == rule["configuration"]["value"]
            except CFError:
                same = False
        if not same:
            raise _bad("only mode and notes can be changed (configuration differs from the rule's)",
                       "/configuration")
    if "mode" in body:
        _check_mode(body["mode"])
        rule["mode"] = body["mode"]
    if "notes" in body:
        _check_notes(body["notes"])
        rule["notes"] = body["notes"] or ""
    rule["modified_on"] = st.now()
    return rule


def _delete(req, st, kind, owner_id, rule_id):
    rules, rule = _find(st, kind, owner_id, rule_id)
    cascade = (req.json or {}).get("cascade", "none") if req.body else "none"
    if cascade not in ("none", "basic", "aggressive"):
        raise _bad("cascade must be none, basic or aggressive", "/cascade")
    del rules[rule_id]
    return {"id": rule_id}


for _kind, _owner_param in (("zones", "zone_id"), ("accounts", "account_id")):
    def _make(kind, owner):
        base = "/%s/{%s}/firewall/access_rules/rules" % (kind, owner)

        @route("GET", base)
        def list_rules(req, st, **ids):
            return _list(req, st, kind, ids[owner])

        @route("POST", base)
        def create_rule(req, st, **ids):
            return _create(req, st, kind, ids[owner])

        @route("GET", base + "/{rule_id}")
        def get_rule(req, st, rule_id, **ids):
            return _find(st, kind, ids[owner], rule_id)[1]

        @route("PATCH", base + "/{rule_id}")
        def edit_rule(req, st, rule_id, **ids):
            return _edit(req, st, kind, ids[owner], rule_id)

        @route("DELETE", base + "/{rule_id}")
        def delete_rule(req, st, rule_id, **ids):
            return _delete(req, st, kind, ids[owner], rule_id)

    _make(_kind, _owner_param)
