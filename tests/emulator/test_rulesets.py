"""The emulator's rulesets family: what Cloudflare stores and answers, parsed by the official SDK."""
from __future__ import annotations

import cloudflare
import pytest

MANAGED = "efb7b8c949ac4650a09736fc376e9aee"
OWASP = "4814384a9e5d4991b9815dcfc25d2f1f"


@pytest.fixture
def client(emulator):
    return cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("rules.example")


def test_entrypoint_missing_is_404(client, zone):
    with pytest.raises(cloudflare.NotFoundError) as info:
        client.rulesets.phases.get("http_request_firewall_custom", zone_id=zone["id"])
    assert "could not find entrypoint ruleset" in str(info.value)


def _update(client, phase, **kwargs):
    """phases.update is cast to Any in SDK 5.9.0 (a Union response type), so it returns the raw dict: validate
    it with the response model here, as a caller would."""
    from cloudflare.types.rulesets.phase_update_response import Ruleset

    return Ruleset.model_validate(client.rulesets.phases.update(phase, **kwargs))


def test_put_creates_then_versions_and_keeps_ids(client, zone):
    rules = [{"ref": "a", "expression": "true", "action": "block"},
             {"expression": "false", "action": "log", "description": "no ref"}]
    first = _update(client, "http_request_firewall_custom", zone_id=zone["id"], rules=rules)
    assert first.version == "1"
    assert first.kind == "zone" and first.phase == "http_request_firewall_custom"
    assert [r.enabled for r in first.rules] == [True, True]
    assert first.rules[1].ref == first.rules[1].id  # ref defaults to the id
    again = _update(client, "http_request_firewall_custom", zone_id=zone["id"],
                    rules=[{"ref": "a", "expression": "true", "action": "challenge"},
                           {"id": first.rules[1].id, "expression": "false", "action": "log"}])
    assert again.version == "2"
    assert again.rules[0].id == first.rules[0].id and again.rules[0].version == "2"
    assert again.rules[1].id == first.rules[1].id
    got = client.rulesets.phases.get("http_request_firewall_custom", zone_id=zone["id"])
    assert got.id == first.id and got.version == "2"
    assert client.rulesets.get(first.id, zone_id=zone["id"]).rules[0].action == "challenge"


def test_execute_rule_gets_version_latest(client, emulator, zone):
    result = _update(client, "http_request_firewall_managed", zone_id=zone["id"], rules=[
        {"ref": "m", "expression": "true", "action": "execute", "action_parameters": {"id": MANAGED}}])
    assert result.rules[0].action_parameters.id == MANAGED
    raw = emulator.api("GET", "/zones/%s/rulesets/phases/http_request_firewall_managed/entrypoint" % zone["id"])
    assert raw["result"]["rules"][0]["action_parameters"] == {"id": MANAGED, "version": "latest"}


def test_list_includes_managed_rulesets_with_cursor_paging(client, zone):
    for phase in ("http_request_firewall_custom", "http_ratelimit", "http_request_cache_settings"):
        client.rulesets.phases.update(phase, zone_id=zone["id"], rules=[])
    pages = client.rulesets.list(zone_id=zone["id"], per_page=2)
    items = list(pages)
    ids = [r.id for r in items]
    assert MANAGED in ids and OWASP in ids
    assert len(items) == 6 and len(set(ids)) == 6
    kinds = dict((r.id, r.kind) for r in items)
    assert kinds[MANAGED] == "managed"
    assert client.rulesets.get(MANAGED, zone_id=zone["id"]).name == "Cloudflare Managed Ruleset"


@pytest.mark.parametrize("phase,rule,fragment", [
    ("http_request_firewall_managed", {"action": "log", "action_parameters": {"id": MANAGED}},
     "log action does not support action parameters"),
    ("http_request_firewall_custom", {"action": "block", "action_parameters": {"id": MANAGED}},
     "unknown field id"),
    ("http_request_firewall_custom", {"action": "execute", "action_parameters": {"id": MANAGED}},
     "not a valid action for the http_request_firewall_custom phase"),
    ("http_request_firewall_managed", {"action": "execute", "action_parameters": {"id": "f" * 32}},
     "could not find ruleset"),
    ("http_request_firewall_custom", {"action": "block", "action_parameters": {"response": {
        "status_code": 200, "content": "x", "content_type": "text/plain"}}}, "between 400 and 499"),
    ("http_ratelimit", {"action": "block"}, "ratelimit is required"),
    ("http_ratelimit", {"action": "block", "ratelimit": {"characteristics": ["ip.src"], "period": 10,
                                                         "requests_per_period": 1}}, "cf.colo.id"),
    ("http_ratelimit", {"action": "block", "ratelimit": {"characteristics": ["cf.colo.id"], "period": 7,
                                                         "requests_per_period": 1}}, "period must be one of"),
    ("http_request_dynamic_redirect", {"action": "redirect", "action_parameters": {"from_value": {
        "status_code": 200, "target_url": {"value": "https://x.example"}}}}, "invalid redirect status code"),
    ("http_request_cache_settings", {"action": "set_cache_settings", "action_parameters": {
        "edge_ttl": {"mode": "override_origin"}}}, "default is required"),
    ("http_request_firewall_custom", {"action": "skip"}, "skip action requires action parameters"),
    ("http_request_firewall_custom", {"action": "block", "kind": "zone"}, "unknown field kind"),
])
def test_validation_like_the_api(emulator, zone, phase, rule, fragment):
    full = {"ref": "r", "expression": "true"}
    full.update(rule)
    body = emulator.api("PUT", "/zones/%s/rulesets/phases/%s/entrypoint" % (zone["id"], phase), {"rules": [full]})
    assert body["success"] is False
    assert fragment in body["errors"][0]["message"]
    assert body["errors"][0]["code"] == 20021
    assert body["errors"][0]["source"]["pointer"].startswith("/rules/0")


def test_unknown_top_level_field_and_duplicate_refs(emulator, zone):
    path = "/zones/%s/rulesets/phases/http_request_firewall_custom/entrypoint" % zone["id"]
    assert "unknown field kind" in emulator.api("PUT", path, {"kind": "zone", "rules": []})["errors"][0]["message"]
    dup = emulator.api("PUT", path, {"rules": [{"ref": "a", "expression": "true", "action": "log"},
                                               {"ref": "a", "expression": "true", "action": "log"}]})
    assert "unique" in dup["errors"][0]["message"]
    assert emulator.api("GET", path)["success"] is False  # nothing was created


def test_account_entrypoint(client, emulator):
    result = _update(client, "http_request_firewall_custom", account_id=emulator.account_id,
                     rules=[{"ref": "a", "expression": "true", "action": "log"}])
    assert result.kind == "root"


def test_entrypoints_are_per_zone_and_go_with_the_zone(emulator, client, zone):
    other = emulator.add_zone("other.example")
    client.rulesets.phases.update("http_request_firewall_custom", zone_id=zone["id"],
                                  rules=[{"ref": "a", "expression": "true", "action": "log"}])
    with pytest.raises(cloudflare.NotFoundError):
        client.rulesets.phases.get("http_request_firewall_custom", zone_id=other["id"])
    client.zones.delete(zone_id=zone["id"])
    assert zone["id"] not in emulator.state.data.get("zone:rulesets", {})
