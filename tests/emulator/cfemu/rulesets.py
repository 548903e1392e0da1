"""Rulesets: phase entrypoints (zone and account), ruleset listing with cursor paging, managed rulesets.

Behaviour modelled on the SDK's ruleset models and the API's documented rules: a PUT to an entrypoint creates it
on first use and bumps its version; a rule sent with the ref (or id) of an existing rule keeps that rule's id;
a rule without ref gets ref = id; enabled defaults to true; execute rules are returned with
``action_parameters.version: "latest"``, skip rules with ``logging: {enabled: true}``, rate limits with
``requests_to_origin: false`` and ``mitigation_timeout: 0`` when not sent; unknown fields are refused (third-party report: "unknown field kind").
Validation errors are HTTP 400 with code 20021 and a JSON pointer (emulator's choice of code).
"""
from __future__ import annotations

import re

from .core import CFError, Paged, route

PHASES = ("ddos_l4", "ddos_l7", "http_config_settings", "http_custom_errors", "http_log_custom_fields",
          "http_ratelimit", "http_request_cache_settings", "http_request_dynamic_redirect",
          "http_request_firewall_custom", "http_request_firewall_managed", "http_request_late_transform",
          "http_request_origin", "http_request_redirect", "http_request_sanitize", "http_request_sbfm",
          "http_request_transform", "http_response_cache_settings", "http_response_compression",
          "http_response_firewall_managed", "http_response_headers_transform", "magic_transit",
          "magic_transit_ids_managed", "magic_transit_managed", "magic_transit_ratelimit")
PHASE_ACTIONS = {
    "http_request_firewall_custom": {"block", "challenge", "js_challenge", "managed_challenge", "log", "skip"},
    "http_ratelimit": {"block", "challenge", "js_challenge", "managed_challenge", "log"},
    "http_request_firewall_managed": {"execute", "skip", "log"},
    "http_request_cache_settings": {"set_cache_settings", "set_cache_control", "set_cache_tags"},
    "http_request_dynamic_redirect": {"redirect"},
    "http_request_transform": {"rewrite"},
    "http_request_late_transform": {"rewrite"},
    "http_response_headers_transform": {"rewrite"},
    "http_request_origin": {"route"},
    "http_config_settings": {"set_config"},
    "http_custom_errors": {"serve_error"},
    "http_response_compression": {"compress_response"},
}
NO_PARAMETERS = {"challenge", "js_challenge", "managed_challenge", "log", "force_connection_close"}
RULE_FIELDS = {"id", "ref", "action", "action_parameters", "description", "enabled", "expression", "logging",
               "ratelimit", "exposed_credential_check", "position"}
MANAGED = {
    "efb7b8c949ac4650a09736fc376e9aee": ("Cloudflare Managed Ruleset",
                                         "Created by the Cloudflare security team, this ruleset is designed to "
                                         "provide fast and effective protection for all your applications."),
    "4814384a9e5d4991b9815dcfc25d2f1f": ("Cloudflare OWASP Core Ruleset",
                                         "Cloudflare's implementation of the Open Web Application Security Project "
                                         "(OWASP) ModSecurity Core Rule Set."),
    "c2e184081120413c86c3ab7e14069605": ("Cloudflare Exposed Credentials Check Ruleset",
                                         "Exposed credentials check rules"),
}
# st.data["zone:rulesets"][zone_id] / st.data["account:rulesets"][account_id] = {ruleset_id: ruleset}
# (the "zone:" prefix lets a zone delete drop its rulesets)


def _bad(message, pointer):
    return CFError(400, 20021, message, pointer=pointer)


def _scope(st, kind, owner_id):
    if kind == "zones":
        st.zone(owner_id)
    else:
        st.account(owner_id)
    key = "zone:rulesets" if kind == "zones" else "account:rulesets"
    return st.data.setdefault(key, {}).setdefault(owner_id, {})


def _managed_view(st, ruleset_id):
    name, description = MANAGED[ruleset_id]
    return {"id": ruleset_id, "name": name, "description": description, "kind": "managed", "version": "78",
            "last_updated": "2026-01-15T10:00:00.000000Z", "phase": "http_request_firewall_managed"}


def _validate_rule(rule, i, phase):
    p = "/rules/%d" % i
    if not isinstance(rule, dict):
        raise _bad("rule must be an object", p)
    unknown = sorted(set(rule) - RULE_FIELDS)
    if unknown:
        raise _bad("invalid JSON: unknown field %s" % unknown[0], "%s/%s" % (p, unknown[0]))
    action = rule.get("action")
    if not isinstance(rule.get("expression"), str) or not rule["expression"].strip():
        raise _bad("expression is required", p + "/expression")
    if phase in PHASE_ACTIONS and action not in PHASE_ACTIONS[phase]:
        raise _bad("'%s' is not a valid action for the %s phase" % (action, phase), p + "/action")
    params = rule.get("action_parameters")
    if params is not None and not isinstance(params, dict):
        raise _bad("action_parameters must be an object", p + "/action_parameters")
    params = params or {}
    if action in NO_PARAMETERS and params:
        raise _bad("%s action does not support action parameters" % action, p + "/action_parameters")
    if action != "execute" and "id" in params:
        raise _bad("invalid JSON: unknown field id", p + "/action_parameters/id")
    if action == "execute":
        target = params.get("id")
        if not target:
            raise _bad("execute action requires action_parameters.id", p + "/action_parameters/id")
        if target not in MANAGED:
            raise _bad("could not find ruleset %s to execute" % target, p + "/action_parameters/id")
    if action == "block" and "response" in params:
        resp = params["response"] or {}
        code = resp.get("status_code")
        if not isinstance(code, int) or isinstance(code, bool) or not 400 <= code <= 499:
            raise _bad("status code must be between 400 and 499", p + "/action_parameters/response/status_code")
        if not isinstance(resp.get("content"), str) or not resp.get("content_type"):
            raise _bad("response content and content_type are required", p + "/action_parameters/response")
    if action == "redirect":
        fv = params.get("from_value")
        if fv is None and params.get("from_list") is None:
            raise _bad("redirect action requires from_value or from_list", p + "/action_parameters")
        if fv is not None:
            if fv.get("status_code", 301) not in (301, 302, 303, 307, 308):
                raise _bad("invalid redirect status code", p + "/action_parameters/from_value/status_code")
            if not (fv.get("target_url") or {}).get("value") and not (fv.get("target_url") or {}).get("expression"):
                raise _bad("target_url requires value or expression", p + "/action_parameters/from_value/target_url")
    if action == "skip" and not params:
        raise _bad("skip action requires action parameters", p + "/action_parameters")
    if action == "set_cache_settings":
        for key in ("edge_ttl", "browser_ttl"):
            ttl = params.get(key)
            if ttl is None:
                continue
            if ttl.get("mode") not in ("respect_origin", "bypass_by_default", "override_origin"):
                raise _bad("invalid %s mode" % key, "%s/action_parameters/%s/mode" % (p, key))
            if ttl["mode"] == "override_origin" and ttl.get("default") is None:
                raise _bad("%s default is required in override_origin mode" % key,
                           "%s/action_parameters/%s/default" % (p, key))
    rl = rule.get("ratelimit")
    if phase == "http_ratelimit":
        if not isinstance(rl, dict):
            raise _bad("ratelimit is required for rules in the http_ratelimit phase", p + "/ratelimit")
        chars = rl.get("characteristics")
        if not isinstance(chars, list) or "cf.colo.id" not in chars:
            raise _bad("characteristics must contain cf.colo.id", p + "/ratelimit/characteristics")
        if rl.get("period") not in (10, 60, 120, 300, 600, 3600):
            raise _bad("period must be one of 10, 60, 120, 300, 600, 3600", p + "/ratelimit/period")
        rpp = rl.get("requests_per_period")
        if rpp is None and rl.get("score_per_period") is None:
            raise _bad("requests_per_period is required", p + "/ratelimit/requests_per_period")
        if rpp is not None and (not isinstance(rpp, int) or rpp < 1):
            raise _bad("requests_per_period must be at least 1", p + "/ratelimit/requests_per_period")
        if rl.get("mitigation_timeout", 0) not in (0, 10, 60, 120, 300, 600, 3600, 86400):
            raise _bad("invalid mitigation_timeout", p + "/ratelimit/mitigation_timeout")
    elif rl is not None:
        raise _bad("ratelimit is not allowed in the %s phase" % phase, p + "/ratelimit")
    if "enabled" in rule and not isinstance(rule["enabled"], bool):
        raise _bad("enabled must be a boolean", p + "/enabled")


def _put_entrypoint(req, st, kind, owner_id, phase):
    if phase not in PHASES:
        raise _bad("'%s' is not a valid phase" % phase, "/phase")
    body = req.json
    unknown = sorted(set(body) - {"name", "description", "rules"})
    if unknown:
        raise _bad("invalid JSON: unknown field %s" % unknown[0], "/" + unknown[0])
    rules = body.get("rules", [])
    if not isinstance(rules, list):
        raise _bad("rules must be an array", "/rules")
    for i, rule in enumerate(rules):
        _validate_rule(rule, i, phase)
    refs = [r.get("ref") for r in rules if r.get("ref")]
    if len(refs) != len(set(refs)):
        raise _bad("rule refs must be unique within a ruleset", "/rules")
    scope = _scope(st, kind, owner_id)
    ruleset = next((r for r in scope.values() if r["phase"] == phase and r["kind"] in ("zone", "root")), None)
    now = st.now()
    if ruleset is None:
        ruleset = {"id": st.new_id(), "name": body.get("name") or "default", "description": body.get("description", ""),
                   "kind": "zone" if kind == "zones" else "root", "phase": phase, "version": "0", "rules": []}
        scope[ruleset["id"]] = ruleset
    old_by_ref = dict((r["ref"], r) for r in ruleset["rules"])
    old_by_id = dict((r["id"], r) for r in ruleset["rules"])
    version = str(int(ruleset["version"]) + 1)
    stored = []
    for rule in rules:
        old = old_by_id.get(rule.get("id")) or old_by_ref.get(rule.get("ref"))
        if rule.get("id") and rule["id"] not in old_by_id:
            raise _bad("rule id %s does not exist in this ruleset" % rule["id"], "/rules")
        new = dict((k, v) for k, v in rule.items() if k not in ("id", "position"))
        new.setdefault("enabled", True)
        if new.get("action") == "skip":
            new.setdefault("logging", {"enabled": True})
        if isinstance(new.get("ratelimit"), dict):
            new["ratelimit"] = dict(new["ratelimit"])
            new["ratelimit"].setdefault("requests_to_origin", False)
            new["ratelimit"].setdefault("mitigation_timeout", 0)
        if new.get("action") == "execute":
            new["action_parameters"] = dict(new["action_parameters"])
            new["action_parameters"].setdefault("version", "latest")
        rule_id = old["id"] if old else st.new_id()
        new["id"] = rule_id
        new.setdefault("ref", rule_id)
        content = dict((k, v) for k, v in new.items() if k not in ("version", "last_updated"))
        old_content = dict((k, v) for k, v in (old or {}).items() if k not in ("version", "last_updated"))
        if old and content == old_content:
            new["version"], new["last_updated"] = old["version"], old["last_updated"]
        else:
            new["version"] = str(int(old["version"]) + 1) if old else "1"
            new["last_updated"] = now
        stored.append(new)
    ruleset["rules"] = stored
    if "name" in body and body["name"]:
        ruleset["name"] = body["name"]
    if "description" in body:
        ruleset["description"] = body["description"]
    ruleset["version"] = version
    ruleset["last_updated"] = now
    return ruleset


def _get_entrypoint(st, kind, owner_id, phase):
    if phase not in PHASES:
        raise _bad("'%s' is not a valid phase" % phase, "/phase")
    scope = _scope(st, kind, owner_id)
    for ruleset in scope.values():
        if ruleset["phase"] == phase and ruleset["kind"] in ("zone", "root"):
            return ruleset
    raise CFError(404, 10003, "could not find entrypoint ruleset in the '%s' phase" % phase)


def _list(req, st, kind, owner_id):
    scope = _scope(st, kind, owner_id)
    items = [_managed_view(st, rid) for rid in sorted(MANAGED)]
    items += [dict((k, v) for k, v in r.items() if k != "rules") for r in sorted(scope.values(), key=lambda r: r["id"])]
    try:
        per_page = int(req.arg("per_page", 20))
    except ValueError:
        raise CFError(400, 1001, "per_page must be an integer")
    if not 1 <= per_page <= 50:
        raise CFError(400, 1001, "per_page must be between 1 and 50")
    cursor = req.arg("cursor")
    start = 0
    if cursor:
        if not re.match(r"^c\d+$", cursor):
            raise CFError(400, 1001, "invalid cursor")
        start = int(cursor[1:])
    chunk = items[start:start + per_page]
    info = {"per_page": per_page, "count": len(chunk)}
    if start + per_page < len(items):
        info["cursor"] = "c%d" % (start + per_page)
    return Paged(chunk, info)


def _get(st, kind, owner_id, ruleset_id):
    if ruleset_id in MANAGED:
        view = _managed_view(st, ruleset_id)
        view["rules"] = [{"id": "%s%04d" % (ruleset_id[:28], n), "ref": "%s%04d" % (ruleset_id[:28], n),
                          "action": "block", "expression": "true", "enabled": True, "version": "1",
                          "last_updated": view["last_updated"], "categories": ["demo"],
                          "description": "Managed rule %d" % n} for n in range(1, 4)]
        return view
    ruleset = _scope(st, kind, owner_id).get(ruleset_id)
    if ruleset is None:
        raise CFError(404, 10000, "could not find ruleset %s" % ruleset_id)
    return ruleset


for _kind, _owner in (("zones", "zone_id"), ("accounts", "account_id")):
    def _make(kind, owner):
        base = "/%s/{%s}/rulesets" % (kind, owner)

        @route("GET", base + "/phases/{phase}/entrypoint")
        def get_entrypoint(req, st, phase, **ids):
            return _get_entrypoint(st, kind, ids[owner], phase)

        @route("PUT", base + "/phases/{phase}/entrypoint")
        def put_entrypoint(req, st, phase, **ids):
            return _put_entrypoint(req, st, kind, ids[owner], phase)

        @route("GET", base)
        def list_rulesets(req, st, **ids):
            return _list(req, st, kind, ids[owner])

        @route("GET", base + "/{ruleset_id}")
        def get_ruleset(req, st, ruleset_id, **ids):
            return _get(st, kind, ids[owner], ruleset_id)

    _make(_kind, _owner)
