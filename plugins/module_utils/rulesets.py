# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ruleset rules: validation of action-specific parameters (before any write) and comparison by meaning.

Sources: the SDK's rule models and params (``cloudflare/types/rulesets/*_rule_param.py``, ``phase.py``), the
Terraform provider's ``internal/services/ruleset/schema.go`` validators (block status 400..499, redirect status
301/302/303/307/308, serve_error status 400..999, origin port 1..65535, skip option exclusivity, cache TTL modes,
enabled default true, description default ""), and Cloudflare's rate limiting rule limits (period and mitigation
timeout values; characteristics must include ``cf.colo.id``).
"""

from __future__ import annotations

import re

PHASES = ("ddos_l4", "ddos_l7", "http_config_settings", "http_custom_errors", "http_log_custom_fields",
          "http_ratelimit", "http_request_cache_settings", "http_request_dynamic_redirect",
          "http_request_firewall_custom", "http_request_firewall_managed", "http_request_late_transform",
          "http_request_origin", "http_request_redirect", "http_request_sanitize", "http_request_sbfm",
          "http_request_transform", "http_response_cache_settings", "http_response_compression",
          "http_response_firewall_managed", "http_response_headers_transform", "magic_transit",
          "magic_transit_ids_managed", "magic_transit_managed", "magic_transit_ratelimit")

ACTIONS = ("block", "challenge", "compress_response", "ddos_dynamic", "execute", "force_connection_close",
           "js_challenge", "log", "log_custom_field", "managed_challenge", "redirect", "rewrite", "route", "score",
           "serve_error", "set_cache_control", "set_cache_settings", "set_cache_tags", "set_config", "skip",
           "transform_response_html")

# The actions a zone entrypoint accepts in each phase (Cloudflare's phase documentation); phases not listed
# here are not checked.
PHASE_ACTIONS = {
    "http_request_firewall_custom": ("block", "challenge", "js_challenge", "managed_challenge", "log", "skip"),
    "http_ratelimit": ("block", "challenge", "js_challenge", "managed_challenge", "log"),
    "http_request_firewall_managed": ("execute", "skip", "log"),
    "http_response_firewall_managed": ("execute", "skip", "log"),
    "http_request_cache_settings": ("set_cache_settings", "set_cache_control", "set_cache_tags"),
    "http_response_cache_settings": ("set_cache_control", "set_cache_tags"),
    "http_request_dynamic_redirect": ("redirect",),
    "http_request_redirect": ("redirect",),
    "http_request_transform": ("rewrite",),
    "http_request_late_transform": ("rewrite",),
    "http_response_headers_transform": ("rewrite",),
    "http_request_origin": ("route",),
    "http_config_settings": ("set_config",),
    "http_custom_errors": ("serve_error",),
    "http_response_compression": ("compress_response",),
    "http_log_custom_fields": ("log_custom_field",),
}

RULE_KEYS = ("ref", "action", "expression", "description", "enabled", "action_parameters", "ratelimit", "logging",
             "exposed_credential_check")
SERVER_KEYS = ("id", "version", "last_updated", "categories")
RATELIMIT_PERIODS = (10, 60, 120, 300, 600, 3600)
MITIGATION_TIMEOUTS = (0, 10, 60, 120, 300, 600, 3600, 86400)
REDIRECT_CODES = (301, 302, 303, 307, 308)
CONTENT_TYPES = ("application/json", "text/html", "text/plain", "text/xml")
TTL_MODES = ("respect_origin", "bypass_by_default", "override_origin")
EDGE_TTL_MODES = ("respect_origin", "bypass_by_default", "override_origin")
SKIP_PRODUCTS = ("bic", "hot", "rateLimit", "securityLevel", "uaBlock", "waf", "zoneLockdown")
SENSITIVITY = ("default", "medium", "low", "eoff")
COMPRESSION = ("none", "auto", "default", "gzip", "brotli", "zstd")
RULESET_ID = re.compile(r"^[0-9a-f]{32}$")
REF = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

CACHE_SETTINGS_KEYS = ("additional_cacheable_ports", "browser_ttl", "cache", "cache_key", "cache_reserve", "edge_ttl",
                       "origin_cache_control", "origin_error_page_passthru", "origin_range_requests", "read_timeout",
                       "respect_strong_etags", "serve_stale", "shared_dictionary", "strip_etags",
                       "strip_last_modified", "strip_set_cookie", "vary")
SET_CONFIG_KEYS = ("automatic_https_rewrites", "autominify", "bic", "content_converter", "disable_apps",
                   "disable_pay_per_crawl", "disable_rum", "disable_zaraz", "email_obfuscation", "fonts",
                   "hotlink_protection", "mirage", "opportunistic_encryption", "polish", "redirects_for_ai_training",
                   "request_body_buffering", "response_body_buffering", "rocket_loader", "security_level",
                   "server_side_excludes", "ssl", "sxg", "webmcp_enabled", "webmcp_packs")
# action -> the action_parameters keys it takes (None: no action_parameters at all)
PARAMETER_KEYS = {
    "block": ("response",),
    "challenge": None, "js_challenge": None, "managed_challenge": None, "log": None,
    "force_connection_close": None, "ddos_dynamic": None,
    "execute": ("id", "overrides", "matched_data", "version"),
    "skip": ("ruleset", "rulesets", "rules", "phases", "products", "phase"),
    "redirect": ("from_value", "from_list"),
    "rewrite": ("uri", "headers"),
    "route": ("host_header", "origin", "sni"),
    "score": ("increment",),
    "serve_error": ("content", "content_type", "status_code", "asset_name"),
    "set_cache_settings": CACHE_SETTINGS_KEYS,
    "set_config": SET_CONFIG_KEYS,
    "compress_response": ("algorithms",),
    "log_custom_field": ("cookie_fields", "raw_response_fields", "request_fields", "response_fields",
                         "transformed_request_fields"),
    "set_cache_control": ("immutable", "max_age", "must_revalidate", "must_understand", "no_cache", "no_store",
                          "no_transform", "private", "proxy_revalidate", "public", "s_maxage", "stale_if_error",
                          "stale_while_revalidate"),
    "set_cache_tags": ("operation", "values", "expression"),
    "transform_response_html": ("link_maze",),
}


class RuleError(ValueError):
    pass


def _is_int(value):
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


class _Checker(object):
    def __init__(self, where):
        self.where = where

    def fail(self, path, message):
        raise RuleError("%s: %s%s" % (self.where, (path + " ") if path else "", message))

    def dict_(self, path, value, allowed=None, required=()):
        if not isinstance(value, dict):
            self.fail(path, "must be a dict")
        if allowed is not None:
            unknown = sorted(set(value) - set(allowed))
            if unknown:
                self.fail(path, "has unknown key(s) %s (allowed: %s)" % (", ".join(unknown), ", ".join(allowed)))
        for key in required:
            if value.get(key) in (None, ""):
                self.fail("%s.%s" % (path, key), "is required")
        return value

    def str_(self, path, value, choices=None):
        if not isinstance(value, str):
            self.fail(path, "must be a string")
        if choices and value not in choices:
            self.fail(path, "must be one of %s, not %r" % (", ".join(choices), value))

    def int_(self, path, value, low=None, high=None, choices=None):
        if not _is_int(value):
            self.fail(path, "must be an integer, not %r" % (value,))
        if choices is not None and int(value) not in choices:
            self.fail(path, "must be one of %s, not %r" % (", ".join(str(c) for c in choices), value))
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(path, "must be between %s and %s, not %r" % (low, high, value))

    def bool_(self, path, value):
        if not isinstance(value, bool):
            self.fail(path, "must be true or false, not %r" % (value,))

    def list_(self, path, value, choices=None, non_empty=False):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, "must be a list of strings")
        if non_empty and not value:
            self.fail(path, "must not be empty")
        for item in value:
            if choices and item not in choices:
                self.fail(path, "has %r, which is not one of %s" % (item, ", ".join(choices)))


def _check_parameters(c, action, params, phase):
    allowed = PARAMETER_KEYS.get(action)
    if allowed is None:
        if params:
            if "id" in params:
                c.fail("action_parameters.id", "belongs to action: execute (it names the ruleset to execute); "
                                               "action %s takes no action_parameters" % action)
            c.fail("action_parameters", "is not allowed with action %s" % action)
        return
    if params is None:
        params = {}
    if "id" in params and action != "execute":
        c.fail("action_parameters.id", "belongs to action: execute (it names the ruleset to execute), not to "
                                       "action %s" % action)
    c.dict_("action_parameters", params, allowed)
    p = "action_parameters"
    if action == "block":
        if "response" in params:
            resp = c.dict_(p + ".response", params["response"], ("content", "content_type", "status_code"),
                           required=("content", "content_type", "status_code"))
            c.str_(p + ".response.content", resp["content"])
            c.str_(p + ".response.content_type", resp["content_type"], CONTENT_TYPES)
            c.int_(p + ".response.status_code", resp["status_code"], 400, 499)
    elif action == "execute":
        if not params.get("id"):
            c.fail(p + ".id", "is required with action execute (the id of the managed ruleset to run)")
        c.str_(p + ".id", params["id"])
        if not RULESET_ID.match(params["id"]):
            c.fail(p + ".id", "must be a ruleset id (32 hexadecimal characters), not %r" % params["id"])
        if "overrides" in params:
            ov = c.dict_(p + ".overrides", params["overrides"],
                         ("action", "categories", "enabled", "rules", "sensitivity_level"))
            if "enabled" in ov:
                c.bool_(p + ".overrides.enabled", ov["enabled"])
            if "sensitivity_level" in ov:
                c.str_(p + ".overrides.sensitivity_level", ov["sensitivity_level"], SENSITIVITY)
            for i, cat in enumerate(ov.get("categories") or []):
                c.dict_("%s.overrides.categories[%d]" % (p, i), cat,
                        ("category", "action", "enabled", "sensitivity_level"), required=("category",))
            for i, rule in enumerate(ov.get("rules") or []):
                c.dict_("%s.overrides.rules[%d]" % (p, i), rule,
                        ("id", "action", "enabled", "score_threshold", "sensitivity_level"), required=("id",))
        if "matched_data" in params:
            c.dict_(p + ".matched_data", params["matched_data"], ("public_key",), required=("public_key",))
    elif action == "skip":
        if not params:
            c.fail(p, "is required with action skip (one of ruleset, rulesets, rules, phases, products)")
        if "ruleset" in params:
            c.str_(p + ".ruleset", params["ruleset"], ("current",))
            clash = [k for k in ("rulesets", "rules", "phases") if k in params]
            if clash:
                c.fail(p + ".ruleset", "cannot be combined with %s" % ", ".join(clash))
        if "phases" in params:
            c.list_(p + ".phases", params["phases"], PHASES, non_empty=True)
            if "rulesets" in params:
                c.fail(p + ".phases", "cannot be combined with rulesets")
        if "products" in params:
            c.list_(p + ".products", params["products"], SKIP_PRODUCTS, non_empty=True)
        if "rulesets" in params:
            c.list_(p + ".rulesets", params["rulesets"], non_empty=True)
        if "rules" in params:
            rules = c.dict_(p + ".rules", params["rules"])
            for rid, ids in rules.items():
                c.list_("%s.rules.%s" % (p, rid), ids, non_empty=True)
        if "phase" in params:
            c.str_(p + ".phase", params["phase"], ("current",))
    elif action == "redirect":
        given = [k for k in ("from_value", "from_list") if k in params]
        if len(given) != 1:
            c.fail(p, "needs exactly one of from_value, from_list")
        if "from_list" in params:
            fl = c.dict_(p + ".from_list", params["from_list"], ("name", "key"), required=("name", "key"))
            c.str_(p + ".from_list.name", fl["name"])
        else:
            fv = c.dict_(p + ".from_value", params["from_value"],
                         ("target_url", "status_code", "preserve_query_string"), required=("target_url",))
            target = c.dict_(p + ".from_value.target_url", fv["target_url"], ("value", "expression"))
            if len([k for k in ("value", "expression") if target.get(k)]) != 1:
                c.fail(p + ".from_value.target_url", "needs exactly one of value, expression")
            if "status_code" in fv:
                c.int_(p + ".from_value.status_code", fv["status_code"], choices=REDIRECT_CODES)
            if "preserve_query_string" in fv:
                c.bool_(p + ".from_value.preserve_query_string", fv["preserve_query_string"])
    elif action == "rewrite":
        if not params:
            c.fail(p, "is required with action rewrite (uri and/or headers)")
        if "uri" in params:
            uri = c.dict_(p + ".uri", params["uri"], ("path", "query", "origin"))
            for part in ("path", "query"):
                if part in uri:
                    val = c.dict_("%s.uri.%s" % (p, part), uri[part], ("value", "expression"))
                    if len([k for k in ("value", "expression") if k in val]) != 1:
                        c.fail("%s.uri.%s" % (p, part), "needs exactly one of value, expression")
        for name, header in (params.get("headers") or {}).items():
            hp = "%s.headers.%s" % (p, name)
            header = c.dict_(hp, header, ("operation", "value", "expression"), required=("operation",))
            c.str_(hp + ".operation", header["operation"], ("set", "add", "remove"))
            given = [k for k in ("value", "expression") if k in header]
            if header["operation"] == "remove" and given:
                c.fail(hp, "operation remove takes no value or expression")
            if header["operation"] != "remove" and len(given) != 1:
                c.fail(hp, "operation %s needs exactly one of value, expression" % header["operation"])
    elif action == "route":
        if "origin" in params:
            origin = c.dict_(p + ".origin", params["origin"], ("host", "port"))
            if "port" in origin:
                c.int_(p + ".origin.port", origin["port"], 1, 65535)
        if "sni" in params:
            c.dict_(p + ".sni", params["sni"], ("value",), required=("value",))
    elif action == "serve_error":
        if not params.get("content") and not params.get("asset_name"):
            c.fail(p, "needs content or asset_name with action serve_error")
        if "content_type" in params:
            c.str_(p + ".content_type", params["content_type"], CONTENT_TYPES)
        if "status_code" in params:
            c.int_(p + ".status_code", params["status_code"], 400, 999)
    elif action == "set_cache_settings":
        for key in ("edge_ttl", "browser_ttl"):
            if key in params:
                ttl = c.dict_("%s.%s" % (p, key), params[key],
                              ("mode", "default", "status_code_ttl") if key == "edge_ttl" else ("mode", "default"),
                              required=("mode",))
                c.str_("%s.%s.mode" % (p, key), ttl["mode"], TTL_MODES)
                if ttl["mode"] == "override_origin" and ttl.get("default") is None:
                    c.fail("%s.%s.default" % (p, key), "is required with mode override_origin")
                if ttl.get("default") is not None:
                    c.int_("%s.%s.default" % (p, key), ttl["default"], 0, 2147483647)
                for i, entry in enumerate(ttl.get("status_code_ttl") or []):
                    ep = "%s.%s.status_code_ttl[%d]" % (p, key, i)
                    entry = c.dict_(ep, entry, ("status_code", "status_code_range", "value"), required=("value",))
                    if ("status_code" in entry) == ("status_code_range" in entry):
                        c.fail(ep, "needs exactly one of status_code, status_code_range")
                    if "status_code" in entry:
                        c.int_(ep + ".status_code", entry["status_code"], 100, 999)
                    else:
                        rng = c.dict_(ep + ".status_code_range", entry["status_code_range"], ("from", "to"))
                        for end in ("from", "to"):
                            if end in rng:
                                c.int_("%s.status_code_range.%s" % (ep, end), rng[end], 100, 999)
        for key in ("cache", "origin_cache_control", "origin_error_page_passthru", "respect_strong_etags",
                    "strip_etags", "strip_last_modified", "strip_set_cookie"):
            if key in params:
                c.bool_("%s.%s" % (p, key), params[key])
        if "serve_stale" in params:
            c.dict_(p + ".serve_stale", params["serve_stale"], ("disable_stale_while_updating",))
        if "read_timeout" in params:
            c.int_(p + ".read_timeout", params["read_timeout"], 1, 6000)
        if "cache_key" in params:
            c.dict_(p + ".cache_key", params["cache_key"],
                    ("cache_by_device_type", "cache_deception_armor", "custom_key", "ignore_query_strings_order"))
    elif action == "set_config":
        for key in ("ssl",):
            if key in params:
                c.str_(p + ".ssl", params["ssl"], ("off", "flexible", "full", "strict", "origin_pull"))
        if "security_level" in params:
            c.str_(p + ".security_level", params["security_level"],
                   ("off", "essentially_off", "low", "medium", "high", "under_attack"))
        if "polish" in params:
            c.str_(p + ".polish", params["polish"], ("off", "lossless", "lossy", "webp"))
    elif action == "compress_response":
        algos = params.get("algorithms")
        if not isinstance(algos, list) or not algos:
            c.fail(p + ".algorithms", "is required with action compress_response (a list of {name})")
        for i, algo in enumerate(algos):
            algo = c.dict_("%s.algorithms[%d]" % (p, i), algo, ("name",), required=("name",))
            c.str_("%s.algorithms[%d].name" % (p, i), algo["name"], COMPRESSION)
    elif action == "score":
        if "increment" in params:
            c.int_(p + ".increment", params["increment"])


def _check_ratelimit(c, rule, phase):
    rl = rule.get("ratelimit")
    if phase == "http_ratelimit" and rl is None:
        c.fail("ratelimit", "is required in phase http_ratelimit")
    if rl is None:
        return
    if phase not in ("http_ratelimit", "magic_transit_ratelimit", None):
        c.fail("ratelimit", "is only allowed in phase http_ratelimit (this is %s)" % phase)
    allowed = ("characteristics", "period", "counting_expression", "mitigation_timeout", "requests_per_period",
               "requests_to_origin", "score_per_period", "score_response_header_name")
    c.dict_("ratelimit", rl, allowed, required=("characteristics", "period"))
    c.list_("ratelimit.characteristics", rl["characteristics"], non_empty=True)
    if "cf.colo.id" not in rl["characteristics"]:
        c.fail("ratelimit.characteristics", "must include cf.colo.id (counters are kept per data centre)")
    c.int_("ratelimit.period", rl["period"], choices=RATELIMIT_PERIODS)
    if rl.get("requests_per_period") is None and rl.get("score_per_period") is None:
        c.fail("ratelimit", "needs requests_per_period (or score_per_period with score_response_header_name)")
    if rl.get("requests_per_period") is not None:
        c.int_("ratelimit.requests_per_period", rl["requests_per_period"], 1, 2147483647)
    if rl.get("score_per_period") is not None:
        c.int_("ratelimit.score_per_period", rl["score_per_period"], 1, 2147483647)
        if not rl.get("score_response_header_name"):
            c.fail("ratelimit.score_response_header_name", "is required with score_per_period")
    if rl.get("mitigation_timeout") is not None:
        c.int_("ratelimit.mitigation_timeout", rl["mitigation_timeout"], choices=MITIGATION_TIMEOUTS)
    if rl.get("requests_to_origin") is not None:
        c.bool_("ratelimit.requests_to_origin", rl["requests_to_origin"])
    if rl.get("counting_expression") is not None:
        c.str_("ratelimit.counting_expression", rl["counting_expression"])


def check_rule(rule, index, phase):
    """The rule as it will be sent (only what the task set, plus defaults), or RuleError naming the rule."""
    ref = rule.get("ref") if isinstance(rule, dict) else None
    c = _Checker("rules[%d]%s" % (index, " (ref %r)" % ref if ref else ""))
    if not isinstance(rule, dict):
        c.fail("", "must be a dict")
    rule = dict((k, v) for k, v in rule.items() if v is not None)
    unknown = sorted(set(rule) - set(RULE_KEYS))
    if unknown:
        c.fail("", "has unknown key(s) %s (allowed: %s)" % (", ".join(unknown), ", ".join(RULE_KEYS)))
    if not ref:
        c.fail("ref", "is required: rules are identified by their ref")
    c.str_("ref", ref)
    if not REF.match(ref):
        c.fail("ref", "must be 1 to 64 letters, digits or _ . : - characters, not %r" % ref)
    if not rule.get("expression"):
        c.fail("expression", "is required")
    c.str_("expression", rule["expression"])
    action = rule.get("action")
    if not action:
        c.fail("action", "is required")
    c.str_("action", action, ACTIONS)
    _check_parameters(c, action, rule.get("action_parameters"), phase)
    if phase in PHASE_ACTIONS and action not in PHASE_ACTIONS[phase]:
        c.fail("action", "%s is not allowed in phase %s (allowed: %s)" % (action, phase,
                                                                          ", ".join(PHASE_ACTIONS[phase])))
    _check_ratelimit(c, rule, phase)
    if "enabled" in rule:
        c.bool_("enabled", rule["enabled"])
    if "description" in rule:
        c.str_("description", rule["description"])
    if "logging" in rule:
        logging = c.dict_("logging", rule["logging"], ("enabled",), required=("enabled",))
        c.bool_("logging.enabled", logging["enabled"])
        if action != "skip":
            c.fail("logging", "is only allowed with action skip")
    if "exposed_credential_check" in rule:
        c.dict_("exposed_credential_check", rule["exposed_credential_check"],
                ("username_expression", "password_expression"),
                required=("username_expression", "password_expression"))
    rule.setdefault("enabled", True)
    rule.setdefault("description", "")
    return rule


def check_rules(rules, phase):
    """All rules checked (and refs unique); RuleError for the first problem."""
    checked = []
    seen = {}
    for index, rule in enumerate(rules or []):
        rule = check_rule(rule, index, phase)
        if rule["ref"] in seen:
            raise RuleError("rules[%d]: ref %r is used twice (also rules[%d]); refs identify rules and must be "
                            "unique" % (index, rule["ref"], seen[rule["ref"]]))
        seen[rule["ref"]] = index
        checked.append(rule)
    return checked


# --- comparison by meaning -------------------------------------------------------------------------------------

def _canon(value):
    """Empty values dropped, integral floats as ints, so that API rewrites compare equal."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _canon(item)
            if item is None or item == {} or item == [] or item == "":
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if isinstance(value, float) and value == int(value):
        return int(value)
    return value


def canonical_rule(rule):
    """A rule without the server's fields and with server defaults removed, for comparison and diffs."""
    out = dict((k, v) for k, v in (rule or {}).items() if k not in SERVER_KEYS)
    if out.get("enabled") is None:
        out["enabled"] = True
    params = out.get("action_parameters")
    if out.get("action") == "execute" and isinstance(params, dict) and params.get("version") == "latest":
        params = dict(params)
        params.pop("version")
        out["action_parameters"] = params
    if out.get("action") == "skip" and out.get("logging") == {"enabled": True}:
        out.pop("logging")  # skip rules log matches unless told not to
    rl = out.get("ratelimit")
    if isinstance(rl, dict):
        rl = dict(rl)
        if rl.get("requests_to_origin") is False:
            rl.pop("requests_to_origin")
        if _is_int(rl.get("mitigation_timeout")) and rl["mitigation_timeout"] == 0:
            rl.pop("mitigation_timeout")
        out["ratelimit"] = rl
    return _canon(out)


def same_rule(desired, actual):
    return canonical_rule(desired) == canonical_rule(actual)


def wire_rule(rule, existing=None):
    """The rule as sent in the PUT: what the task set; the existing rule's id keeps the rule's identity."""
    body = dict((k, v) for k, v in rule.items() if k in RULE_KEYS and v is not None)
    if existing and existing.get("id"):
        body["id"] = existing["id"]
    return body


def kept_rule(rule):
    """An existing rule the task does not list, sent back as it is (without version/last_updated)."""
    return dict((k, v) for k, v in rule.items() if k not in ("version", "last_updated", "categories"))
