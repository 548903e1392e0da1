"""The emulator's IP Access rules family, parsed by the official SDK."""
from __future__ import annotations

import cloudflare
import pytest


@pytest.fixture
def client(emulator):
    return cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("rules.example")


def _create(client, zone, target, value, mode="block", notes=None):
    kwargs = {"configuration": {"target": target, "value": value}, "mode": mode, "zone_id": zone["id"]}
    if notes is not None:
        kwargs["notes"] = notes
    return client.firewall.access_rules.create(**kwargs)


def test_create_get_edit_delete(client, zone):
    rule = _create(client, zone, "ip6", "2001:DB8:0::1", notes="x")
    assert rule.configuration.value == "2001:db8::1"  # stored compressed
    assert rule.mode == "block" and "whitelist" in rule.allowed_modes
    got = client.firewall.access_rules.get(rule.id, zone_id=zone["id"])
    assert got.notes == "x"
    edited = client.firewall.access_rules.edit(rule.id, zone_id=zone["id"], mode="whitelist",
                                               configuration={"target": "ip6", "value": "2001:db8::1"})
    assert edited.mode == "whitelist"
    deleted = client.firewall.access_rules.delete(rule.id, zone_id=zone["id"])
    assert deleted.id == rule.id


def test_edit_changes_only_mode_and_notes(emulator, zone):
    rule = emulator.api("POST", "/zones/%s/firewall/access_rules/rules" % zone["id"],
                        {"configuration": {"target": "ip", "value": "192.0.2.1"}, "mode": "block"})["result"]
    path = "/zones/%s/firewall/access_rules/rules/%s" % (zone["id"], rule["id"])
    ok = emulator.api("PATCH", path, {"mode": "challenge", "notes": "n"})["result"]
    assert (ok["mode"], ok["notes"]) == ("challenge", "n")
    bad = emulator.api("PATCH", path, {"mode": "block", "configuration": {"target": "ip", "value": "192.0.2.2"}})
    assert bad["success"] is False and "only mode and notes" in bad["errors"][0]["message"]


@pytest.mark.parametrize("target,value,fragment", [
    ("ip_range", "192.0.2.0/23", "/16 or /24"), ("ip_range", "2001:db8::/56", "/32, /48 or /64"),
    ("ip_range", "192.0.2.1/24", "not a valid ip_range"), ("ip", "2001:db8::1", "not a valid ip"),
    ("asn", "ASN1", "not a valid ASN"), ("country", "DEU", "two-letter"), ("email", "a@b.example", "target"),
])
def test_validation(emulator, zone, target, value, fragment):
    body = emulator.api("POST", "/zones/%s/firewall/access_rules/rules" % zone["id"],
                        {"configuration": {"target": target, "value": value}, "mode": "block"})
    assert body["success"] is False
    assert fragment in body["errors"][0]["message"]


def test_bad_mode_and_duplicate(emulator, zone):
    path = "/zones/%s/firewall/access_rules/rules" % zone["id"]
    assert emulator.api("POST", path, {"configuration": {"target": "asn", "value": "AS1"}, "mode": "allow"})[
        "success"] is False
    assert emulator.api("POST", path, {"configuration": {"target": "asn", "value": "1"}, "mode": "block"})[
        "result"]["configuration"]["value"] == "AS1"
    dup = emulator.api("POST", path, {"configuration": {"target": "asn", "value": "AS1"}, "mode": "challenge"})
    assert dup["errors"][0]["code"] == 10009


def test_paging_and_filters(client, emulator, zone):
    for i in range(1, 46):
        _create(client, zone, "ip", "198.18.0.%d" % i, mode="block" if i % 3 else "challenge",
                notes="Attack %d" % i if i % 5 == 0 else None)
    _create(client, zone, "country", "fr", mode="js_challenge")
    everything = list(client.firewall.access_rules.list(zone_id=zone["id"], per_page=20))
    assert len(everything) == 46 and len({r.id for r in everything}) == 46
    emulator.clear_requests()
    assert len(list(client.firewall.access_rules.list(zone_id=zone["id"], per_page=20))) == 46
    # 20 + 20 + 6, then the SDK pager asks for the (empty) page after the last; the module's client does not
    assert emulator.requests()["total"] == 4
    challenged = list(client.firewall.access_rules.list(zone_id=zone["id"], mode="challenge", per_page=50))
    assert len(challenged) == 15
    one = list(client.firewall.access_rules.list(zone_id=zone["id"], configuration={
        "target": "ip", "value": "198.18.0.7"}))
    assert [r.configuration.value for r in one] == ["198.18.0.7"]
    country = list(client.firewall.access_rules.list(zone_id=zone["id"],
                                                     configuration={"target": "country", "value": "FR"}))
    assert [r.mode for r in country] == ["js_challenge"]
    noted = list(client.firewall.access_rules.list(zone_id=zone["id"], notes="attack"))
    assert len(noted) == 9
    ordered = list(client.firewall.access_rules.list(zone_id=zone["id"], order="mode", direction="desc",
                                                     per_page=50))
    assert ordered[0].mode == "js_challenge"
    anymatch = emulator.api("GET", "/zones/%s/firewall/access_rules/rules?mode=js_challenge&notes=Attack%%205"
                            "&match=any&per_page=50" % zone["id"])["result"]
    assert len(anymatch) == 2


def test_account_rules_show_in_zone_listing(client, emulator, zone):
    client.firewall.access_rules.create(account_id=emulator.account_id, mode="whitelist",
                                        configuration={"target": "ip_range", "value": "192.0.2.0/24"})
    listed = list(client.firewall.access_rules.list(zone_id=zone["id"]))
    assert [r.scope.type for r in listed] == ["organization"]
    assert list(client.firewall.access_rules.list(account_id=emulator.account_id))[0].mode == "whitelist"
