"""load_balancer_info against the emulator: every load balancer of a zone or one by hostname, pool names,
request counts, an unknown zone."""
from __future__ import annotations


def _seed(emulator):
    acc = emulator.account_id
    zid = emulator.add_zone("example.org")["id"]
    eu = emulator.api("POST", "/accounts/%s/load_balancers/pools" % acc, {
        "name": "eu", "origins": [{"name": "one", "address": "192.0.2.1"}]})["result"]
    us = emulator.api("POST", "/accounts/%s/load_balancers/pools" % acc, {
        "name": "us", "origins": [{"name": "two", "address": "192.0.2.2"}]})["result"]
    for name, body in (("www.example.org", {"default_pools": [us["id"]], "fallback_pool": us["id"]}),
                       ("app.example.org", {"default_pools": [eu["id"]], "fallback_pool": us["id"],
                                            "description": "websoft9.cloudflare", "proxied": True,
                                            "steering_policy": "geo", "country_pools": {"DE": [eu["id"]]}})):
        answer = emulator.api("POST", "/zones/%s/load_balancers" % zid, dict(body, name=name))
        assert answer["success"], answer
    emulator.clear_requests()
    return eu, us


def test_every_load_balancer_of_the_zone(emulator, run_module):
    _seed(emulator)
    result = run_module("load_balancer_info", {"zone": "example.org"})
    assert result["changed"] is False
    assert [lb["name"] for lb in result["load_balancers"]] == ["app.example.org", "www.example.org"]
    app = result["load_balancers"][0]
    assert app["description"] == "websoft9.cloudflare" and app["proxied"] is True and app["steering_policy"] == "geo"
    assert "pool_names" not in app
    log = emulator.requests()
    assert log["writes"] == 0 and log["total"] == 2  # the zone lookup, the load balancers


def test_one_by_hostname_with_pool_names(emulator, run_module):
    eu, us = _seed(emulator)
    for name in ("app", "APP.example.org.", "app.example.org"):
        result = run_module("load_balancer_info", {"zone": "example.org", "name": name, "pool_names": True})
        assert [lb["name"] for lb in result["load_balancers"]] == ["app.example.org"], name
        assert result["load_balancers"][0]["pool_names"] == {eu["id"]: "eu", us["id"]: "us"}
    emulator.clear_requests()
    none = run_module("load_balancer_info", {"zone": "example.org", "name": "shop", "pool_names": True})
    assert none["load_balancers"] == [] and not none.get("failed")
    assert emulator.requests()["total"] == 2  # no pool listing when nothing matched


def test_unknown_zone_fails_with_its_name(emulator, run_module):
    result = run_module("load_balancer_info", {"zone": "nowhere.example"})
    assert result["failed"] is True and "nowhere.example" in result["msg"]
