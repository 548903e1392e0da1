"""module_utils/load_balancing.py: tables, validation messages, canonical comparison, reference resolution."""
from __future__ import annotations

import os

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils import load_balancing as lb


def test_tables_match_the_emulator():
    from cfemu import load_balancing as emu

    assert emu.COUNTRY_REGION == lb.COUNTRY_REGION
    assert sorted(emu.REGIONS) == sorted(lb.REGIONS)
    assert sorted(emu.CHECK_REGIONS) == sorted(lb.CHECK_REGIONS)
    assert emu.AFFINITY_TTL == lb.AFFINITY_TTL
    assert emu.MONITOR_LIMITS == lb.MONITOR_LIMITS
    assert set(emu.REGION_CENTRE) == set(lb.REGIONS)
    assert all(country in lb.COUNTRY_REGION for country, _lat, _lon in emu.POPS.values())


@pytest.mark.skipif(not os.path.exists("/usr/share/zoneinfo/iso3166.tab"), reason="no tzdata country table")
def test_every_iso_country_has_a_region():
    with open("/usr/share/zoneinfo/iso3166.tab") as handle:
        codes = set(line.split("\t")[0] for line in handle if line.strip() and not line.startswith("#"))
    assert codes - set(lb.COUNTRY_REGION) == set()
    assert set(lb.COUNTRY_REGION) - codes == {"XK"}  # Kosovo: used by Cloudflare, not in ISO 3166-1


@pytest.mark.parametrize("value, ok", [(0, True), (1, True), (0.01, True), (0.5, True), (0.99, True),
                                       (1.01, False), (-0.1, False), (0.333, False), (True, False), ("1", False)])
def test_weights(value, ok):
    errors = []
    lb.check_weight(value, "w", errors)
    assert (errors == []) is ok, errors


def test_monitor_rules():
    assert lb.check_monitor({}) == []
    assert lb.check_monitor({"timeout": 5, "interval": 5}) == [
        "timeout: must be less than interval (timeout 5, interval 5)"]
    assert lb.check_monitor({"interval": 5}) == ["timeout: must be less than interval (timeout 5, interval 5)"]
    assert lb.check_monitor({"interval": 5}, partial=True) == []  # the actual timeout decides
    assert lb.check_monitor({"type": "tcp"}) == ["port: is required for tcp monitors"]
    assert lb.check_monitor({"type": "tcp"}, partial=True) == []
    assert lb.check_monitor({"type": "tcp", "port": 0}, partial=True) == ["port: is required for tcp monitors"]
    assert lb.check_monitor({"path": "/x"}, partial=True) == []
    assert lb.check_monitor({"type": "smtp", "port": 25, "expected_body": "x", "follow_redirects": True}) == [
        "expected_body: is only valid for http and https monitors (type is smtp)",
        "follow_redirects: is only valid for http and https monitors (type is smtp)"]
    assert lb.check_monitor({"type": "tcp", "port": 1, "follow_redirects": False}) == []
    assert lb.check_monitor({"method": "PUT"}, partial=True) == [
        "method: must be GET, HEAD or connection_established (got 'PUT')"]
    assert lb.check_monitor({"type": "tcp", "port": 1, "method": "GET"}) == [
        "method: must be connection_established for tcp monitors (got 'GET')"]
    assert lb.check_monitor({"header": {"Host": ["a"], "host": ["b"]}}) == [
        "header: 'Host' and 'host' are the same header (names are case-insensitive)"]
    assert lb.check_monitor({"expected_codes": "2xx, 301"}) == []
    assert lb.check_monitor({"port": 70000}) == ["port: must be an integer from 0 to 65535 (got 70000)"]


def test_pool_rules():
    good = {"name": "web_1-a", "origins": [{"name": "a", "address": "192.0.2.1"}]}
    assert lb.check_pool(good) == []
    assert lb.check_pool(dict(good, name="a.b")) == [
        "name: 'a.b' is not a valid pool name (only letters, digits, hyphens and underscores are allowed)"]
    assert lb.check_pool(dict(good, latitude=1.0)) == ["latitude: latitude and longitude must be set together"]
    assert lb.check_pool(dict(good, check_regions=["ALL_REGIONS", "CHINA", "WEU"])) == []
    assert lb.check_pool(dict(good, origins=[])) == ["origins: at least one origin is required"]
    assert lb.check_pool(dict(good, origins=[{"name": "a", "address": "x", "port": -1}])) == [
        "origins[0].port: must be an integer from 0 to 65535 (got -1)"]


@pytest.mark.parametrize("affinity, ttl, attrs, enterprise, expected", [
    ("cookie", 1800, {}, False, []),
    ("cookie", 604801, {}, False, ["session_affinity_ttl: must be from 1800 to 604800 seconds for session_affinity "
                                   "cookie (got 604801)"]),
    ("ip_cookie", 1799, {}, False, ["session_affinity_ttl: must be from 1800 to 604800 seconds for "
                                    "session_affinity ip_cookie (got 1799)"]),
    ("header", 30, {"headers": ["x"]}, False, []),
    ("header", 29, {"headers": ["x"]}, False, ["session_affinity_ttl: must be from 30 to 3600 seconds for "
                                               "session_affinity header (got 29)"]),
    ("header", None, {"headers": list("abcde")}, True, []),
    ("header", None, {"headers": list("abcdef")}, True, ["session_affinity_attributes.headers: at most 5 header "
                                                         "names on this plan (got 6)"]),
    ("header", None, {"headers": ["a"], "zero_downtime_failover": "sticky"}, False,
     ["session_affinity_attributes.zero_downtime_failover: sticky is not supported with session_affinity header"]),
    ("none", 5, {}, False, []),
    (None, None, {"drain_duration": -1}, False, ["session_affinity_attributes.drain_duration: must be a "
                                                 "non-negative number of seconds"]),
])
def test_affinity_rules(affinity, ttl, attrs, enterprise, expected):
    assert lb.check_affinity(affinity, ttl, attrs, enterprise=enterprise) == expected


def test_steering_maps_and_references():
    errors = []
    body = {"region_pools": {"WEU": ["a"], "XX": ["b"]}, "country_pools": {"DE": ["a"], "EU": ["c"]},
            "pop_pools": {"LAX": ["a"], "lax1": ["a"]},
            "random_steering": {"default_weight": 1.5, "pool_weights": {"a": 0.5}},
            "location_strategy": {"mode": "gps"}}
    lb.check_steering_maps(body, errors, enterprise=False)
    assert errors == [
        "region_pools: 'XX' is not a Cloudflare region code (one of %s)" % ", ".join(sorted(lb.REGIONS)),
        "country_pools: 'EU' is not an ISO 3166-1 alpha-2 country code",
        "pop_pools: 'lax1' is not a Cloudflare data centre (PoP) code such as LAX or FRA",
        "pop_pools: steering by data centre (PoP) needs an Enterprise plan",
        "random_steering.default_weight: must be a number from 0 to 1 (got 1.5)",
        "location_strategy.mode: must be pop or resolver_ip"]
    refs = lb.pool_references({"default_pools": ["a", "b"], "fallback_pool": "c", "country_pools": {"DE": ["d"]},
                               "random_steering": {"pool_weights": {"e": 1}}})
    assert refs == [("default_pools", "a"), ("default_pools", "b"), ("fallback_pool", "c"),
                    ("country_pools.DE", "d"), ("random_steering.pool_weights", "e")]


def test_headers_are_compared_case_insensitively():
    assert lb.header_map({"Host": "a", "X": ["1", 2]}) == {"Host": ["a"], "X": ["1", "2"]}
    assert lb.header_key({"HOST": "a"}) == lb.header_key({"host": ["a"]})
    assert lb.origin_header({"host": "a.example.com"}) == {"Host": ["a.example.com"]}
    assert lb.origin_header({}) == {}


def test_origins_compare_by_name_with_defaults():
    actual = [{"name": "a", "address": "192.0.2.1", "enabled": True, "weight": 1.0, "port": 0, "header": {},
               "flatten_cname": True, "disabled_at": None},
              {"name": "b", "address": "2001:db8::5", "enabled": True, "weight": 0.0, "port": 0,
               "header": {"Host": ["x"]}, "flatten_cname": True}]
    desired = [{"name": "b", "address": "2001:DB8:0:0::5", "weight": 0, "header": {"host": ["x"]}},
               {"name": "a", "address": "192.0.2.1", "weight": 1, "enabled": True, "port": 0}]
    assert lb.same_origins(desired, actual) is True
    assert lb.same_origins(desired[:1], actual) is False                       # an origin removed
    assert lb.same_origins([dict(desired[0], weight=0.5), desired[1]], actual) is False
    assert lb.same_origins([dict(desired[0], header={"Host": "y"}), desired[1]], actual) is False
    assert lb.same_origins([dict(desired[0], header={}), desired[1]], actual) is False
    assert [o["name"] for o in lb.canonical_origins(desired)] == ["a", "b"]


def test_same_value():
    assert lb.same_value({}, None, {}) is True
    assert lb.same_value({}, {"DE": ["x"]}) is False                       # an empty map removes entries
    assert lb.same_value({"secure": "Auto"}, {"secure": "Auto", "samesite": "Lax"}) is True  # unset not compared
    assert lb.same_value({}, {"secure": "Auto", "drain_duration": 0}, lb.SESSION_AFFINITY_ATTRIBUTES_DEFAULTS)
    assert lb.same_value(0, None, 0) is True and lb.same_value(1, 1.0) is True
    assert lb.same_value(False, None, False) is True and lb.same_value(0, False) is False
    assert lb.same_value("", None) is True


def test_index_and_pool_resolution():
    pools = lb.Index([{"id": "1" * 32, "name": "eu"}, {"id": "2" * 32, "name": "us"},
                      {"id": "3" * 32, "name": "us"}], "name", "pool")
    errors = []
    body = {"default_pools": ["eu", "2" * 32], "fallback_pool": "eu", "country_pools": {"DE": ["eu"]},
            "random_steering": {"pool_weights": {"eu": 0.5}}}
    lb.resolve_pool_refs(body, pools, errors)
    assert errors == []
    assert body == {"default_pools": ["1" * 32, "2" * 32], "fallback_pool": "1" * 32,
                    "country_pools": {"DE": ["1" * 32]}, "random_steering": {"pool_weights": {"1" * 32: 0.5}}}
    lb.resolve_pool_refs({"default_pools": ["us", "nope"]}, pools, errors, where="rules[0].overrides.")
    assert errors == ["rules[0].overrides.default_pools: 2 pools are named 'us' (ids %s, %s); refer to it by id"
                      % ("2" * 32, "3" * 32),
                      "rules[0].overrides.default_pools: pool 'nope' does not exist"]


def test_monitor_defaults_depend_on_type():
    assert lb.monitor_defaults("https")["expected_codes"] == "200"
    assert lb.monitor_defaults("tcp")["method"] == "connection_established"
    assert "path" not in lb.monitor_defaults("icmp_ping")
