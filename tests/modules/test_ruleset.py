"""ruleset against the emulator: one GET and at most one PUT, rules by ref, order kept, validation first (R1)."""
from __future__ import annotations

import copy

import pytest

MANAGED = "efb7b8c949ac4650a09736fc376e9aee"
OWASP = "4814384a9e5d4991b9815dcfc25d2f1f"
EP = "/zones/{zone_id}/rulesets/phases/{phase}/entrypoint"

CUSTOM = [
    {"ref": "block_login", "expression": '(http.request.uri.path eq "/wp-login.php")', "action": "block",
     "action_parameters": {"response": {"status_code": 403, "content_type": "text/plain", "content": "no"}}},
    {"ref": "challenge_admin", "expression": 'starts_with(http.request.uri.path, "/admin")',
     "action": "managed_challenge", "description": "admins prove they are human"},
    {"ref": "log_api", "expression": '(http.request.uri.path contains "/api")', "action": "log", "enabled": False},
]


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("example.com")


def _entrypoint(emulator, zone, phase):
    return emulator.api("GET", "/zones/%s/rulesets/phases/%s/entrypoint" % (zone["id"], phase))


def _args(rules, phase="http_request_firewall_custom", **extra):
    args = {"zone": "example.com", "phase": phase, "rules": copy.deepcopy(rules)}
    args.update(extra)
    return args


def test_create_custom_rules_then_unchanged(emulator, run_module, zone):
    result = run_module("ruleset", _args(CUSTOM), diff=True)
    assert result["changed"] is True
    assert result["added"] == ["block_login", "challenge_admin", "log_api"]
    rules = result["ruleset"]["rules"]
    assert [r["ref"] for r in rules] == ["block_login", "challenge_admin", "log_api"]
    assert all(len(r["id"]) == 32 for r in rules)
    assert rules[0]["enabled"] is True and rules[2]["enabled"] is False
    assert result["diff"]["before"] == {}
    assert [r["ref"] for r in result["diff"]["after"]["rules"]] == ["block_login", "challenge_admin", "log_api"]
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "GET " + EP: 1, "PUT " + EP: 1}

    emulator.clear_requests()
    again = run_module("ruleset", _args(CUSTOM))
    assert again["changed"] is False
    assert again["added"] == again["updated"] == again["removed"] == []
    assert [r["id"] for r in again["ruleset"]["rules"]] == [r["id"] for r in rules]
    log = emulator.requests()
    assert log["writes"] == 0 and log["total"] == 2


def test_defaults_and_numbers_compare_by_meaning(emulator, run_module, zone):
    run_module("ruleset", _args(CUSTOM))
    emulator.clear_requests()
    spelled = copy.deepcopy(CUSTOM)
    spelled[0]["enabled"] = True
    spelled[0]["description"] = ""
    spelled[0]["action_parameters"]["response"]["status_code"] = 403.0
    assert run_module("ruleset", _args(spelled))["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_update_keeps_ids_and_order_and_bumps_version(emulator, run_module, zone):
    first = run_module("ruleset", _args(CUSTOM))
    ids = dict((r["ref"], r["id"]) for r in first["ruleset"]["rules"])
    changed = copy.deepcopy(CUSTOM)
    changed[1]["action"] = "js_challenge"
    changed.reverse()
    emulator.clear_requests()
    result = run_module("ruleset", _args(changed), diff=True)
    assert result["changed"] is True
    assert result["updated"] == ["challenge_admin"]
    assert result["reordered"] is True
    assert [r["ref"] for r in result["ruleset"]["rules"]] == ["log_api", "challenge_admin", "block_login"]
    assert dict((r["ref"], r["id"]) for r in result["ruleset"]["rules"]) == ids
    assert int(result["ruleset"]["version"]) == int(first["ruleset"]["version"]) + 1
    assert emulator.requests()["by_route"]["PUT " + EP] == 1


def test_unlisted_rules_kept_in_place_unless_purge(emulator, run_module, zone):
    run_module("ruleset", _args(CUSTOM))
    emulator.clear_requests()
    kept = run_module("ruleset", _args([CUSTOM[1]]))
    assert kept["changed"] is False
    assert emulator.requests()["writes"] == 0
    assert [r["ref"] for r in kept["ruleset"]["rules"]] == ["block_login", "challenge_admin", "log_api"]
    purged = run_module("ruleset", _args([CUSTOM[1]], purge=True), diff=True)
    assert purged["changed"] is True
    assert purged["removed"] == ["block_login", "log_api"]
    assert [r["ref"] for r in purged["diff"]["before"]["rules"]] == ["block_login", "challenge_admin", "log_api"]
    assert [r["ref"] for r in _entrypoint(emulator, zone, "http_request_firewall_custom")["result"]["rules"]] == \
        ["challenge_admin"]
    assert run_module("ruleset", _args([CUSTOM[1]], purge=True))["changed"] is False


def test_new_rules_follow_the_last_listed_rule(emulator, run_module, zone):
    run_module("ruleset", _args(CUSTOM))
    new = {"ref": "new_rule", "expression": "true", "action": "log"}
    # block_login and log_api listed (swapped), challenge_admin unlisted stays in the middle
    result = run_module("ruleset", _args([CUSTOM[2], CUSTOM[0], new]))
    assert result["changed"] is True
    assert result["added"] == ["new_rule"]
    assert result["reordered"] is True
    refs = [r["ref"] for r in result["ruleset"]["rules"]]
    assert refs == ["log_api", "challenge_admin", "block_login", "new_rule"]
    assert run_module("ruleset", _args([CUSTOM[2], CUSTOM[0], new]))["changed"] is False


def test_new_rules_go_after_unmanaged_rules(emulator, run_module, zone):
    run_module("ruleset", _args([CUSTOM[0]]))
    result = run_module("ruleset", _args([CUSTOM[1]]))
    assert [r["ref"] for r in result["ruleset"]["rules"]] == ["block_login", "challenge_admin"]
    assert result["reordered"] is False


def test_purge_everything(emulator, run_module, zone):
    run_module("ruleset", _args(CUSTOM))
    result = run_module("ruleset", _args([], purge=True))
    assert result["changed"] is True
    assert result["ruleset"]["rules"] == []
    assert run_module("ruleset", _args([], purge=True))["changed"] is False


def test_empty_phase_with_no_rules_is_unchanged(emulator, run_module, zone):
    result = run_module("ruleset", _args([], purge=True))
    assert result["changed"] is False
    assert result["ruleset"] == {}
    assert emulator.requests()["writes"] == 0


def test_check_mode_does_not_write(emulator, run_module, zone):
    result = run_module("ruleset", _args(CUSTOM), check_mode=True, diff=True)
    assert result["changed"] is True
    assert [r["ref"] for r in result["ruleset"]["rules"]] == ["block_login", "challenge_admin", "log_api"]
    assert emulator.requests()["writes"] == 0
    assert _entrypoint(emulator, zone, "http_request_firewall_custom")["success"] is False


def test_managed_waf_execute_with_overrides(emulator, run_module, zone):
    rules = [{"ref": "cf_managed", "expression": "true", "action": "execute", "action_parameters": {"id": MANAGED}},
             {"ref": "owasp", "expression": "true", "action": "execute",
              "action_parameters": {"id": OWASP, "overrides": {"sensitivity_level": "medium"}}}]
    result = run_module("ruleset", _args(rules, phase="http_request_firewall_managed"))
    assert result["changed"] is True
    stored = _entrypoint(emulator, zone, "http_request_firewall_managed")["result"]["rules"]
    assert stored[0]["action_parameters"] == {"id": MANAGED, "version": "latest"}  # the API adds version
    emulator.clear_requests()
    assert run_module("ruleset", _args(rules, phase="http_request_firewall_managed"))["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_r1_action_parameters_id_only_with_execute(emulator, run_module, zone):
    rules = [{"ref": "waf", "expression": "true", "action": "log", "action_parameters": {"id": MANAGED}}]
    result = run_module("ruleset", _args(rules, phase="http_request_firewall_managed"))
    assert result["failed"] is True
    assert result["msg"] == ("rules[0] (ref 'waf'): action_parameters.id belongs to action: execute (it names the "
                             "ruleset to execute); action log takes no action_parameters")
    assert emulator.requests()["total"] == 0


@pytest.mark.parametrize("phase,rule,message", [
    ("http_request_firewall_custom",
     {"action": "block", "action_parameters": {"response": {"status_code": 503, "content": "x",
                                                            "content_type": "text/plain"}}},
     "action_parameters.response.status_code must be between 400 and 499, not 503"),
    ("http_request_firewall_custom",
     {"action": "block", "action_parameters": {"response": {"status_code": 403}}},
     "action_parameters.response.content is required"),
    ("http_request_firewall_custom", {"action": "execute", "action_parameters": {"id": MANAGED}},
     "action execute is not allowed in phase http_request_firewall_custom"),
    ("http_request_firewall_custom", {"action": "skip"},
     "action_parameters is required with action skip"),
    ("http_request_firewall_custom",
     {"action": "skip", "action_parameters": {"ruleset": "current", "phases": ["http_ratelimit"]}},
     "action_parameters.ruleset cannot be combined with phases"),
    ("http_request_firewall_custom",
     {"action": "skip", "action_parameters": {"products": ["antivirus"]}},
     "action_parameters.products has 'antivirus', which is not one of"),
    ("http_request_firewall_managed", {"action": "execute", "action_parameters": {"id": "not-an-id"}},
     "action_parameters.id must be a ruleset id (32 hexadecimal characters)"),
    ("http_request_firewall_managed", {"action": "execute"},
     "action_parameters.id is required with action execute"),
    ("http_ratelimit", {"action": "block"}, "ratelimit is required in phase http_ratelimit"),
    ("http_ratelimit", {"action": "block", "ratelimit": {"characteristics": ["ip.src"], "period": 10,
                                                         "requests_per_period": 5}},
     "ratelimit.characteristics must include cf.colo.id"),
    ("http_ratelimit", {"action": "block", "ratelimit": {"characteristics": ["ip.src", "cf.colo.id"], "period": 30,
                                                         "requests_per_period": 5}},
     "ratelimit.period must be one of 10, 60, 120, 300, 600, 3600, not 30"),
    ("http_ratelimit", {"action": "block", "ratelimit": {"characteristics": ["ip.src", "cf.colo.id"],
                                                         "period": 10}},
     "ratelimit needs requests_per_period"),
    ("http_ratelimit", {"action": "block", "ratelimit": {"characteristics": ["cf.colo.id"], "period": 10,
                                                         "requests_per_period": 0}},
     "ratelimit.requests_per_period must be between 1 and"),
    ("http_ratelimit", {"action": "block", "ratelimit": {"characteristics": ["cf.colo.id"], "period": 10,
                                                         "requests_per_period": 5, "mitigation_timeout": 5}},
     "ratelimit.mitigation_timeout must be one of 0, 10"),
    ("http_request_firewall_custom", {"action": "block", "ratelimit": {"characteristics": ["cf.colo.id"],
                                                                       "period": 10, "requests_per_period": 1}},
     "ratelimit is only allowed in phase http_ratelimit"),
    ("http_request_dynamic_redirect", {"action": "redirect", "action_parameters": {
        "from_value": {"status_code": 300, "target_url": {"value": "https://example.com"}}}},
     "action_parameters.from_value.status_code must be one of 301, 302, 303, 307, 308, not 300"),
    ("http_request_dynamic_redirect", {"action": "redirect", "action_parameters": {
        "from_value": {"target_url": {"value": "https://a.example", "expression": "x"}}}},
     "action_parameters.from_value.target_url needs exactly one of value, expression"),
    ("http_request_dynamic_redirect", {"action": "redirect", "action_parameters": {}},
     "action_parameters needs exactly one of from_value, from_list"),
    ("http_request_cache_settings", {"action": "set_cache_settings", "action_parameters": {
        "edge_ttl": {"mode": "override_origin"}}},
     "action_parameters.edge_ttl.default is required with mode override_origin"),
    ("http_request_cache_settings", {"action": "set_cache_settings", "action_parameters": {
        "browser_ttl": {"mode": "forever"}}},
     "action_parameters.browser_ttl.mode must be one of respect_origin, bypass_by_default, override_origin"),
    ("http_request_cache_settings", {"action": "set_cache_settings", "action_parameters": {"cache": "yes"}},
     "action_parameters.cache must be true or false"),
    ("http_request_cache_settings", {"action": "set_cache_settings", "action_parameters": {"edge_tll": {}}},
     "action_parameters has unknown key(s) edge_tll"),
    ("http_response_headers_transform", {"action": "rewrite", "action_parameters": {
        "headers": {"X-Frame-Options": {"operation": "remove", "value": "DENY"}}}},
     "action_parameters.headers.X-Frame-Options operation remove takes no value or expression"),
    ("http_request_origin", {"action": "route", "action_parameters": {"origin": {"port": 70000}}},
     "action_parameters.origin.port must be between 1 and 65535"),
    ("http_request_firewall_custom", {"action": "drop"}, "action must be one of"),
    ("http_request_firewall_custom", {"action": "log", "logging": {"enabled": False}},
     "logging is only allowed with action skip"),
    ("http_request_firewall_custom", {"action": "block", "enabeld": True}, "has unknown key(s) enabeld"),
])
def test_bad_rules_refused_before_any_request(emulator, run_module, zone, phase, rule, message):
    full = {"ref": "r", "expression": "true"}
    full.update(rule)
    result = run_module("ruleset", _args([full], phase=phase))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert result["msg"].startswith("rules[0] (ref 'r'): ")
    assert emulator.requests()["total"] == 0


def test_missing_ref_expression_and_duplicates(emulator, run_module, zone):
    no_ref = run_module("ruleset", _args([{"expression": "true", "action": "log"}]))
    assert "rules[0]: ref is required" in no_ref["msg"]
    no_expr = run_module("ruleset", _args([{"ref": "a", "action": "log"}]))
    assert "rules[0] (ref 'a'): expression is required" in no_expr["msg"]
    twice = run_module("ruleset", _args([{"ref": "a", "expression": "true", "action": "log"},
                                         {"ref": "a", "expression": "false", "action": "log"}]))
    assert "rules[1]: ref 'a' is used twice" in twice["msg"]
    assert emulator.requests()["total"] == 0


def test_rate_limit_cache_redirect_and_transform_phases(emulator, run_module, zone):
    phases = {
        "http_ratelimit": [{"ref": "login", "expression": '(http.request.uri.path eq "/login")', "action": "block",
                            "ratelimit": {"characteristics": ["ip.src", "cf.colo.id"], "period": 10,
                                          "requests_per_period": 20, "mitigation_timeout": 10}}],
        "http_request_cache_settings": [{"ref": "static", "expression": "true", "action": "set_cache_settings",
                                         "action_parameters": {"cache": True,
                                                               "edge_ttl": {"mode": "override_origin",
                                                                            "default": 86400},
                                                               "browser_ttl": {"mode": "respect_origin"}}}],
        "http_request_dynamic_redirect": [{"ref": "blog", "expression": '(http.host eq "blog.example.com")',
                                           "action": "redirect", "action_parameters": {"from_value": {
                                               "status_code": 301, "preserve_query_string": True,
                                               "target_url": {"expression": 'concat("https://example.com", '
                                                                            'http.request.uri.path)'}}}}],
        "http_response_headers_transform": [{"ref": "hsts", "expression": "true", "action": "rewrite",
                                             "action_parameters": {"headers": {
                                                 "X-Frame-Options": {"operation": "set", "value": "DENY"},
                                                 "Server": {"operation": "remove"}}}}],
        "http_request_late_transform": [{"ref": "strip", "expression": "true", "action": "rewrite",
                                         "action_parameters": {"uri": {"path": {"value": "/index.html"}}}}],
    }
    for phase, rules in phases.items():
        assert run_module("ruleset", _args(rules, phase=phase))["changed"] is True, phase
        emulator.clear_requests()
        assert run_module("ruleset", _args(rules, phase=phase))["changed"] is False, phase
        assert emulator.requests()["writes"] == 0, phase


def test_api_refusal_is_reported(emulator, run_module, zone):
    # The module cannot know which managed rulesets exist; the API refuses an unknown id.
    rules = [{"ref": "x", "expression": "true", "action": "execute",
              "action_parameters": {"id": "0123456789abcdef0123456789abcdef"}}]
    result = run_module("ruleset", _args(rules, phase="http_request_firewall_managed"))
    assert result["failed"] is True
    assert result["status"] == 400
    assert "could not find ruleset 0123456789abcdef0123456789abcdef" in result["msg"]


def test_put_retried_after_5xx_is_safe(emulator, run_module, zone):
    emulator.faults([{"kind": "error_after", "method": "PUT", "times": 1, "status": 502}])
    result = run_module("ruleset", _args(CUSTOM))
    assert result["changed"] is True
    stored = _entrypoint(emulator, zone, "http_request_firewall_custom")["result"]
    assert [r["ref"] for r in stored["rules"]] == ["block_login", "challenge_admin", "log_api"]


def test_server_defaults_do_not_cause_changes(emulator, run_module, zone):
    rules = [{"ref": "skip_waf_for_office", "expression": "(ip.src in {192.0.2.0/24})", "action": "skip",
              "action_parameters": {"ruleset": "current"}}]
    assert run_module("ruleset", _args(rules))["changed"] is True
    stored = _entrypoint(emulator, zone, "http_request_firewall_custom")["result"]["rules"][0]
    assert stored["logging"] == {"enabled": True}  # added by the API
    emulator.clear_requests()
    assert run_module("ruleset", _args(rules))["changed"] is False
    no_log = copy.deepcopy(rules)
    no_log[0]["logging"] = {"enabled": False}
    assert run_module("ruleset", _args(no_log))["changed"] is True
    assert run_module("ruleset", _args(no_log))["changed"] is False

    limit = [{"ref": "api", "expression": "true", "action": "managed_challenge",
              "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 60, "requests_per_period": 100}}]
    assert run_module("ruleset", _args(limit, phase="http_ratelimit"))["changed"] is True
    stored = _entrypoint(emulator, zone, "http_ratelimit")["result"]["rules"][0]["ratelimit"]
    assert stored["requests_to_origin"] is False and stored["mitigation_timeout"] == 0
    assert run_module("ruleset", _args(limit, phase="http_ratelimit"))["changed"] is False


def test_removing_a_field_is_a_change(emulator, run_module, zone):
    run_module("ruleset", _args(CUSTOM))
    plain = copy.deepcopy(CUSTOM)
    del plain[0]["action_parameters"]
    result = run_module("ruleset", _args(plain))
    assert result["changed"] is True and result["updated"] == ["block_login"]
    stored = _entrypoint(emulator, zone, "http_request_firewall_custom")["result"]["rules"][0]
    assert "action_parameters" not in stored
    assert run_module("ruleset", _args(plain))["changed"] is False


def test_name_and_description(emulator, run_module, zone):
    first = run_module("ruleset", _args(CUSTOM))
    assert first["ruleset"]["name"] == "default"
    named = run_module("ruleset", _args(CUSTOM, name="Edge rules", description="managed by Ansible"), diff=True)
    assert named["changed"] is True
    assert named["added"] == named["updated"] == named["removed"] == []
    assert named["ruleset"]["name"] == "Edge rules"
    assert named["diff"]["before"]["name"] == "default" and named["diff"]["after"]["name"] == "Edge rules"
    stored = _entrypoint(emulator, zone, "http_request_firewall_custom")["result"]
    assert (stored["name"], stored["description"]) == ("Edge rules", "managed by Ansible")
    emulator.clear_requests()
    assert run_module("ruleset", _args(CUSTOM, name="Edge rules", description="managed by Ansible"))["changed"] \
        is False
    # not given: kept as they are
    assert run_module("ruleset", _args(CUSTOM))["changed"] is False
    assert emulator.requests()["writes"] == 0
    assert _entrypoint(emulator, zone, "http_request_firewall_custom")["result"]["name"] == "Edge rules"


def test_permission_error_on_read_is_reported(emulator, run_module, zone):
    emulator.faults([{"kind": "error_before", "method": "GET", "path": "entrypoint$", "status": 403}])
    result = run_module("ruleset", _args(CUSTOM))
    assert result["failed"] is True
    assert result["status"] == 403
    assert "http_request_firewall_custom entrypoint of zone example.com" in result["msg"]
    assert emulator.requests()["writes"] == 0
