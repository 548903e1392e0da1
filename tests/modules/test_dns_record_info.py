"""dns_record_info against the emulator: filters by name (relative or FQDN), type and content by meaning;
canonical records; two requests."""
from __future__ import annotations

import pytest

from dns_support import LIST

ZONE = "example.org"


@pytest.fixture
def zone(emulator):
    from cfemu import dns as emu_dns
    zone = emulator.add_zone(ZONE)
    emu_dns.seed_records(emulator.state, zone["id"], [
        {"name": "www", "type": "A", "content": "192.0.2.1", "ttl": 1, "proxied": True},
        {"name": "www", "type": "AAAA", "content": "2001:db8::1", "ttl": 300},
        {"name": "api", "type": "A", "content": "192.0.2.1", "ttl": 300},
        {"name": "@", "type": "MX", "content": "mail.example.org", "priority": 10, "ttl": 3600},
        {"name": "@", "type": "TXT", "content": '"v=spf1 -all"', "ttl": 3600},
        {"name": "_sip._tcp", "type": "SRV", "data": {"priority": 1, "weight": 2, "port": 5060,
                                                      "target": "sip.example.org"}, "ttl": 1},
    ])
    emulator.clear_requests()
    return zone


def names(result):
    return [(r["name"], r["type"]) for r in result["records"]]


def test_all_records_sorted_and_canonical(emulator, zone, run_module):
    result = run_module("dns_record_info", {"zone": ZONE})
    assert result["changed"] is False
    assert result["zone"] == {"id": zone["id"], "name": ZONE}
    assert names(result) == [("_sip._tcp.example.org", "SRV"), ("api.example.org", "A"), ("example.org", "MX"),
                             ("example.org", "TXT"), ("www.example.org", "A"), ("www.example.org", "AAAA")]
    srv = result["records"][0]
    assert srv["data"] == {"priority": 1, "weight": 2, "port": 5060, "target": "sip.example.org"}
    mx = result["records"][2]
    assert mx["priority"] == 10 and mx["content"] == "mail.example.org"
    assert "content_key" not in mx
    log = emulator.requests()
    assert log["total"] == 2 and log["by_route"][LIST] == 1


@pytest.mark.parametrize("args, expected", [
    ({"name": "www"}, [("www.example.org", "A"), ("www.example.org", "AAAA")]),
    ({"name": "WWW.example.org."}, [("www.example.org", "A"), ("www.example.org", "AAAA")]),
    ({"name": "@", "type": "mx"}, [("example.org", "MX")]),
    ({"type": "A", "content": "192.0.2.1"}, [("api.example.org", "A"), ("www.example.org", "A")]),
    ({"type": "AAAA", "content": "2001:DB8:0::1"}, [("www.example.org", "AAAA")]),
    ({"type": "TXT", "content": "v=spf1 -all"}, [("example.org", "TXT")]),
    ({"type": "MX", "content": "10 MAIL.example.org."}, [("example.org", "MX")]),
    ({"content": "192.0.2.1"}, [("api.example.org", "A"), ("www.example.org", "A")]),
    ({"name": "nothing"}, []),
])
def test_filters(emulator, zone, run_module, args, expected):
    result = run_module("dns_record_info", dict(args, zone=ZONE))
    assert names(result) == expected
    assert emulator.requests()["total"] == 2


def test_bad_filters_fail_clearly(emulator, zone, run_module):
    assert "type" in run_module("dns_record_info", {"zone": ZONE, "type": "BOGUS"})["msg"]
    assert "name" in run_module("dns_record_info", {"zone": ZONE, "name": "x.example.com."})["msg"]
    assert "content" in run_module("dns_record_info", {"zone": ZONE, "type": "A", "content": "nope"})["msg"]


def test_check_mode_reads_too(emulator, zone, run_module):
    result = run_module("dns_record_info", {"zone": zone["id"], "type": "SRV"}, check_mode=True)
    assert names(result) == [("_sip._tcp.example.org", "SRV")]
