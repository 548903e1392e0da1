"""ip_access_rule against the emulator: identity by canonical target+value, zone and account level, ranges checked."""
from __future__ import annotations

import pytest

from ansible_collections.websoft9.cloudflare.plugins.modules.ip_access_rule import (
    TargetError,
    canonical,
    infer_target,
)

ZPATH = "/zones/{zone_id}/firewall/access_rules/rules"
APATH = "/accounts/{account_id}/firewall/access_rules/rules"


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("example.com")


def _rules(emulator, zone):
    return emulator.api("GET", "/zones/%s/firewall/access_rules/rules?per_page=100" % zone["id"])["result"]


def test_create_block_then_unchanged(emulator, run_module, zone):
    args = {"zone": "example.com", "value": "198.51.100.7", "mode": "block", "notes": "ticket 1"}
    result = run_module("ip_access_rule", args, diff=True)
    assert result["changed"] is True
    rule = result["rule"]
    assert rule["configuration"] == {"target": "ip", "value": "198.51.100.7"}
    assert rule["mode"] == "block" and rule["notes"] == "ticket 1"
    assert rule["scope"]["type"] == "zone"
    assert result["diff"]["before"] == {}
    log = emulator.requests()
    assert log["by_route"] == {"GET /zones": 1, "GET " + ZPATH: 1, "POST " + ZPATH: 1}
    listing = [r for r in log["requests"] if r["route"] == ZPATH and r["method"] == "GET"]
    assert len(listing) == 1

    emulator.clear_requests()
    again = run_module("ip_access_rule", args)
    assert again["changed"] is False
    assert again["rule"]["id"] == rule["id"]
    log = emulator.requests()
    assert log["writes"] == 0 and log["total"] == 2


@pytest.mark.parametrize("first,second,target,stored", [
    ("2001:DB8:0:0::1", "2001:db8::1", "ip6", "2001:db8::1"),
    ("AS13335", "13335", "asn", "AS13335"),
    ("as64500", "AS64500", "asn", "AS64500"),
    ("de", "DE", "country", "DE"),
    ("2001:DB8:AB00::/48", "2001:db8:ab00::/48", "ip_range", "2001:db8:ab00::/48"),
    ("192.0.2.0/24", "192.0.2.0/24", "ip_range", "192.0.2.0/24"),
    ("192.0.2.9/32", "192.0.2.9", "ip", "192.0.2.9"),
])
def test_values_compared_in_canonical_form(emulator, run_module, zone, first, second, target, stored):
    created = run_module("ip_access_rule", {"zone": "example.com", "value": first, "mode": "challenge",
                                            "target": target})
    assert created["changed"] is True
    assert created["rule"]["configuration"] == {"target": target, "value": stored}
    emulator.clear_requests()
    same = run_module("ip_access_rule", {"zone": "example.com", "value": second, "mode": "challenge"})
    assert same["changed"] is False, same
    assert emulator.requests()["writes"] == 0
    assert len(_rules(emulator, zone)) == 1


def test_mode_and_notes_update_in_place(emulator, run_module, zone):
    first = run_module("ip_access_rule", {"zone": "example.com", "value": "AS64500", "mode": "block",
                                          "notes": "bad network"})
    emulator.clear_requests()
    result = run_module("ip_access_rule", {"zone": "example.com", "value": "AS64500", "mode": "allow"}, diff=True)
    assert result["changed"] is True
    assert result["changed_fields"] == ["mode"]
    assert result["rule"]["mode"] == "whitelist"
    assert result["rule"]["notes"] == "bad network"  # notes not given: kept
    assert result["rule"]["id"] == first["rule"]["id"]
    assert result["diff"]["before"]["mode"] == "block"
    assert emulator.requests()["by_route"]["PATCH " + ZPATH + "/{rule_id}"] == 1
    assert run_module("ip_access_rule", {"zone": "example.com", "value": "AS64500", "mode": "whitelist"})[
        "changed"] is False
    notes = run_module("ip_access_rule", {"zone": "example.com", "value": "AS64500", "mode": "allow", "notes": ""})
    assert notes["changed"] is True and notes["rule"]["notes"] == ""


def test_every_mode(emulator, run_module, zone):
    for i, mode in enumerate(("allow", "block", "challenge", "js_challenge", "managed_challenge")):
        value = "203.0.113.%d" % (i + 1)
        result = run_module("ip_access_rule", {"zone": "example.com", "value": value, "mode": mode})
        assert result["rule"]["mode"] == ("whitelist" if mode == "allow" else mode)
        assert run_module("ip_access_rule", {"zone": "example.com", "value": value, "mode": mode})["changed"] \
            is False
    assert len(_rules(emulator, zone)) == 5


def test_account_level_rule_not_mistaken_for_zone_rule(emulator, run_module, zone):
    account = run_module("ip_access_rule", {"value": "192.0.2.0/24", "mode": "allow", "notes": "office"})
    assert account["changed"] is True
    assert account["rule"]["scope"]["type"] == "organization"
    log = emulator.requests()["by_route"]
    assert log["POST " + APATH] == 1 and log["GET /accounts"] == 1
    # the account rule shows in the zone listing, but a zone-level rule for the same range is another rule
    assert len(_rules(emulator, zone)) == 1
    zone_rule = run_module("ip_access_rule", {"zone": "example.com", "value": "192.0.2.0/24", "mode": "block"})
    assert zone_rule["changed"] is True
    assert zone_rule["rule"]["scope"]["type"] == "zone"
    assert run_module("ip_access_rule", {"account_id": emulator.account_id, "value": "192.0.2.0/24",
                                         "mode": "allow"})["changed"] is False
    assert run_module("ip_access_rule", {"zone": "example.com", "value": "192.0.2.0/24", "mode": "block"})[
        "changed"] is False


def test_absent_and_check_mode(emulator, run_module, zone):
    run_module("ip_access_rule", {"zone": "example.com", "value": "JP", "mode": "js_challenge"})
    check = run_module("ip_access_rule", {"zone": "example.com", "value": "jp", "state": "absent"},
                       check_mode=True, diff=True)
    assert check["changed"] is True
    assert check["diff"]["after"] == {}
    assert len(_rules(emulator, zone)) == 1
    gone = run_module("ip_access_rule", {"zone": "example.com", "value": "jp", "state": "absent"})
    assert gone["changed"] is True and gone["rule"] == {}
    assert _rules(emulator, zone) == []
    emulator.clear_requests()
    assert run_module("ip_access_rule", {"zone": "example.com", "value": "jp", "state": "absent"})["changed"] \
        is False
    assert emulator.requests()["writes"] == 0


def test_check_mode_create_does_not_write(emulator, run_module, zone):
    result = run_module("ip_access_rule", {"zone": "example.com", "value": "198.51.100.1", "mode": "block"},
                        check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["rule"]["configuration"] == {"target": "ip", "value": "198.51.100.1"}
    assert emulator.requests()["writes"] == 0
    assert _rules(emulator, zone) == []


@pytest.mark.parametrize("args,message", [
    ({"target": "ip_range", "value": "192.0.2.0/23"}, "Cloudflare accepts only /16 and /24 IPv4 ranges"),
    ({"target": "ip_range", "value": "192.0.2.1/32"}, "(for a single address use target ip)"),
    ({"target": "ip_range", "value": "2001:db8::/56"}, "only /32 and /48 and /64 IPv6 ranges"),
    ({"target": "ip_range", "value": "192.0.2.10/24"}, "has host bits set; the range is 192.0.2.0/24"),
    ({"value": "10.0.0.0/8"}, "only /16 and /24 IPv4 ranges"),
    ({"target": "ip", "value": "2001:db8::1"}, "is an IPv6 address; use target ip6"),
    ({"target": "ip", "value": "300.1.1.1"}, "is not an IPv4 address"),
    ({"target": "asn", "value": "ASX1"}, "is not an AS number"),
    ({"target": "country", "value": "Germany"}, "is not a two-letter ISO-3166-1 alpha-2 country code"),
    ({"value": "not a thing"}, "is not an IP address, an IP range, an AS number or a country code"),
])
def test_bad_values_refused_before_any_request(emulator, run_module, zone, args, message):
    full = {"zone": "example.com", "mode": "block"}
    full.update(args)
    result = run_module("ip_access_rule", full)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert result["msg"].startswith("value: ")
    assert emulator.requests()["total"] == 0


def test_mode_required_when_present(emulator, run_module, zone):
    result = run_module("ip_access_rule", {"zone": "example.com", "value": "192.0.2.1"})
    assert result["failed"] is True
    assert result["msg"] == "mode is required when state is present"
    assert emulator.requests()["total"] == 0


def test_create_after_lost_response_is_not_duplicated(emulator, run_module, zone):
    emulator.faults([{"kind": "error_after", "method": "POST", "times": 1, "status": 502}])
    result = run_module("ip_access_rule", {"zone": "example.com", "value": "198.51.100.9", "mode": "block"})
    assert result["changed"] is True
    assert len(_rules(emulator, zone)) == 1
    assert emulator.requests()["by_route"]["POST " + ZPATH] == 1


def test_finds_the_rule_among_many(emulator, run_module, zone):
    for i in range(1, 130):
        emulator.api("POST", "/zones/%s/firewall/access_rules/rules" % zone["id"],
                     {"configuration": {"target": "ip", "value": "198.18.0.%d" % i}, "mode": "block"})
    emulator.clear_requests()
    result = run_module("ip_access_rule", {"zone": "example.com", "value": "198.18.0.77", "mode": "block"})
    assert result["changed"] is False
    assert emulator.requests()["total"] == 2  # the zone, one filtered listing page


@pytest.mark.parametrize("value,target", [("192.0.2.1", "ip"), ("2001:db8::1", "ip6"), ("192.0.2.0/24", "ip_range"),
                                          ("AS1", "asn"), ("64500", "asn"), ("fr", "country"), ("T1", "country")])
def test_infer_target(value, target):
    assert infer_target(value) == target


def test_canonical_refuses_unknown_target():
    with pytest.raises(TargetError):
        canonical("email", "x@example.com")
