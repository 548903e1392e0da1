"""load_balancer against the emulator: every field, pools by name or id, L4, validation before writes, request
counts; every steering policy and affinity mode checked through the emulator's steer endpoint."""
from __future__ import annotations

import pytest

POOLS = "/accounts/{}/load_balancers/pools"
MONITORS = "/accounts/{}/load_balancers/monitors"
LB_ROUTE = "/zones/{zone_id}/load_balancers"


@pytest.fixture
def setup(emulator):
    """A zone and three pools (eu, us, asia) of two origins each, one monitor on all of them."""
    zone = emulator.add_zone("example.com")
    acc = emulator.account_id
    mon = emulator.api("POST", MONITORS.format(acc), {"description": "check"})["result"]
    pools = {}
    coords = {"eu": (50.1, 8.7), "us": (39.0, -77.5), "asia": (1.35, 103.8)}
    for i, name in enumerate(("eu", "us", "asia")):
        pools[name] = emulator.api("POST", POOLS.format(acc), {
            "name": name, "monitor": mon["id"], "latitude": coords[name][0], "longitude": coords[name][1],
            "origins": [{"name": "%s-1" % name, "address": "192.0.2.%d" % (10 * i + 1)},
                        {"name": "%s-2" % name, "address": "192.0.2.%d" % (10 * i + 2)}]})["result"]
    emulator.clear_requests()
    return {"zone": zone, "pools": pools, "monitor": mon}


def lb(run_module, emulator, diff=False, **args):
    full = {"zone": "example.com", "name": "app", "default_pools": ["eu", "us"], "fallback_pool": "us",
            "account_id": emulator.account_id}
    full.update(args)
    result = run_module("load_balancer", full, diff=diff)
    result.setdefault("changed", None)  # a failure shows its message in the assertion
    return result


def steer(emulator, **request):
    request.setdefault("hostname", "app.example.com")
    return emulator.control("POST", "/lb/steer", request)


def down(emulator, pool, origin, healthy=False):
    emulator.control("POST", "/lb/health", {"pool": pool, "origin": origin, "healthy": healthy})


def test_create_by_names_then_unchanged_with_counts(emulator, run_module, setup):
    result = lb(run_module, emulator, proxied=True, description="Websoft9")
    assert result["changed"] is True, result
    got = result["load_balancer"]
    pools = setup["pools"]
    assert got["name"] == "app.example.com"
    assert got["default_pools"] == [pools["eu"]["id"], pools["us"]["id"]]
    assert got["fallback_pool"] == pools["us"]["id"]
    emulator.clear_requests()
    again = lb(run_module, emulator, proxied=True, description="Websoft9",
               default_pools=[pools["eu"]["id"], "us"], name="APP.example.com.")
    assert again["changed"] is False, again
    log = emulator.requests()
    assert log["writes"] == 0
    assert log["by_route"] == {"GET /zones": 1, "GET " + LB_ROUTE: 1,
                               "GET /accounts/{account_id}/load_balancers/pools": 1}


def test_every_field_then_unchanged(emulator, run_module, setup):
    args = dict(
        description="all", enabled=True, proxied=False, ttl=60, steering_policy="geo",
        session_affinity="cookie", session_affinity_ttl=3600,
        session_affinity_attributes={"samesite": "Strict", "secure": "Always", "zero_downtime_failover": "sticky",
                                     "drain_duration": 60, "require_all_headers": False},
        region_pools={"WEU": ["eu", "us"], "enam": ["us"]}, country_pools={"de": ["eu"], "JP": ["asia", "eu"]},
        random_steering={"default_weight": 0.5, "pool_weights": {"eu": 0.2}},
        adaptive_routing={"failover_across_pools": True},
        location_strategy={"mode": "resolver_ip", "prefer_ecs": "always"},
        rules=[{"name": "api", "condition": 'http.request.uri.path contains "/api"', "priority": 1,
                "overrides": {"default_pools": ["asia"], "steering_policy": "off"}},
               {"name": "maintenance", "condition": 'http.request.uri.path eq "/down"', "priority": 2,
                "fixed_response": {"status_code": 503, "message_body": "later", "content_type": "text/plain"}}],
    )
    result = lb(run_module, emulator, **args)
    assert result["changed"] is True, result
    got = result["load_balancer"]
    ids = dict((k, v["id"]) for k, v in setup["pools"].items())
    assert got["region_pools"] == {"WEU": [ids["eu"], ids["us"]], "ENAM": [ids["us"]]}
    assert got["country_pools"] == {"DE": [ids["eu"]], "JP": [ids["asia"], ids["eu"]]}
    assert got["random_steering"] == {"default_weight": 0.5, "pool_weights": {ids["eu"]: 0.2}}
    assert got["rules"][0]["overrides"]["default_pools"] == [ids["asia"]]
    assert got["rules"][1]["terminates"] is True
    assert got["session_affinity_attributes"]["zero_downtime_failover"] == "sticky"
    emulator.clear_requests()
    again = lb(run_module, emulator, **args)
    assert again["changed"] is False, again
    assert emulator.requests()["writes"] == 0
    # the rules answer through the steer endpoint
    assert steer(emulator, path="/api/v1", country="DE")["pool_name"] == "asia"
    fixed = steer(emulator, path="/down")
    assert fixed["fixed_response"]["status_code"] == 503 and fixed["pool"] is None
    assert steer(emulator, path="/", country="DE")["pool_name"] == "eu"


def test_l4_empty_maps_and_default_affinity_attributes_converge(emulator, run_module, setup):
    args = dict(country_pools={}, region_pools={}, pop_pools={}, session_affinity="none",
                session_affinity_attributes={"secure": "Auto", "samesite": "Auto", "zero_downtime_failover": "none",
                                             "drain_duration": 0})
    assert lb(run_module, emulator, **args)["changed"] is True
    emulator.clear_requests()
    assert lb(run_module, emulator, **args)["changed"] is False
    assert lb(run_module, emulator, steering_policy="", ttl=30, enabled=True, proxied=False,
              random_steering={"default_weight": 1}, adaptive_routing={"failover_across_pools": False},
              location_strategy={"mode": "pop", "prefer_ecs": "proximity"}, rules=[])["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_changes_detected_and_put(emulator, run_module, setup):
    lb(run_module, emulator, country_pools={"DE": ["eu"]})
    emulator.clear_requests()
    result = lb(run_module, emulator, country_pools={}, default_pools=["us", "eu"], diff=True)
    assert result["changed"] is True and result["changed_fields"] == ["country_pools", "default_pools"]
    assert result["load_balancer"]["country_pools"] == {}
    assert result["diff"]["before"]["country_pools"] != {}
    assert emulator.requests()["by_route"]["PUT " + LB_ROUTE + "/{lb_id}"] == 1
    affinity = lb(run_module, emulator, proxied=True, session_affinity="header",
                  session_affinity_attributes={"headers": ["x-session"]})
    assert affinity["changed"] is True, affinity
    assert affinity["load_balancer"]["session_affinity_ttl"] == 1800


@pytest.mark.parametrize("args, message", [
    ({"default_pools": ["nope"]}, "default_pools: pool 'nope' does not exist"),
    ({"fallback_pool": "nope"}, "fallback_pool: pool 'nope' does not exist"),
    ({"country_pools": {"DE": ["ghost"]}}, "country_pools.DE: pool 'ghost' does not exist"),
    ({"region_pools": {"MARS": ["eu"]}}, "region_pools: 'MARS' is not a Cloudflare region code"),
    ({"country_pools": {"XX": ["eu"]}}, "country_pools: 'XX' is not an ISO 3166-1 alpha-2 country code"),
    ({"pop_pools": {"LAX": ["eu"]}}, "pop_pools: steering by data centre (PoP) needs an Enterprise plan"),
    ({"session_affinity": "cookie", "session_affinity_ttl": 60}, "session_affinity_ttl: must be from 1800 to 604800"),
    ({"session_affinity": "header", "session_affinity_ttl": 7200, "session_affinity_attributes": {"headers": ["a"]}},
     "session_affinity_ttl: must be from 30 to 3600"),
    ({"session_affinity": "header", "session_affinity_attributes": {"headers": ["a", "b"]}},
     "session_affinity_attributes.headers: at most 1 header name on this plan"),
    ({"session_affinity": "header"}, "session_affinity_attributes.headers: at least one header name is required"),
    ({"random_steering": {"pool_weights": {"eu": 2}}}, "random_steering.pool_weights.eu: must be a number from 0 to 1"),
    ({"proxied": True, "ttl": 120}, "ttl: applies only to non-proxied load balancers"),
    ({"session_affinity_ttl": 3600}, "session_affinity_ttl: applies only with session_affinity cookie"),
    ({"session_affinity_attributes": {"samesite": "None", "secure": "Never"}}, "secure: cannot be Never"),
    ({"rules": [{"name": "r", "overrides": {"fallback_pool": "ghost"}}]},
     "rules[0].overrides.fallback_pool: pool 'ghost' does not exist"),
    ({"rules": [{"name": "r", "overrides": {"colour": "red"}}]}, "rules[0].overrides: unknown field(s) colour"),
    ({"steering_policy": "dynamic_latency", "default_pools": ["plain"]}, "dynamic_latency needs a monitor"),
])
def test_validation_before_any_write(emulator, run_module, setup, args, message):
    emulator.api("POST", POOLS.format(emulator.account_id), {"name": "plain", "origins": [
        {"name": "p", "address": "192.0.2.99"}]})
    emulator.clear_requests()
    result = lb(run_module, emulator, **args)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert emulator.requests()["writes"] == 0
    assert emulator.api("GET", "/zones/%s/load_balancers" % setup["zone"]["id"])["result"] == []


def test_create_needs_pools_check_mode_and_absent(emulator, run_module, setup):
    missing = run_module("load_balancer", {"zone": "example.com", "name": "x", "account_id": emulator.account_id})
    assert missing["failed"] is True and "default_pools: is required" in missing["msg"]
    check = lb(run_module, emulator, session_affinity="cookie", diff=True)
    assert check["changed"] is True
    check = run_module("load_balancer", {"zone": "example.com", "name": "cm", "default_pools": ["eu"],
                                         "fallback_pool": "eu", "account_id": emulator.account_id},
                       check_mode=True, diff=True)
    assert check["changed"] is True and check["diff"]["before"] == {}
    assert check["load_balancer"]["name"] == "cm.example.com" and check["load_balancer"]["steering_policy"] == ""
    gone = run_module("load_balancer", {"zone": setup["zone"]["id"], "name": "app.example.com", "state": "absent",
                                        "account_id": emulator.account_id})
    assert gone["changed"] is True and gone["load_balancer"] == {}
    assert [x["name"] for x in emulator.api("GET", "/zones/%s/load_balancers" % setup["zone"]["id"])["result"]] == []


def test_pool_in_use_cannot_be_deleted(emulator, run_module, setup):
    lb(run_module, emulator)
    result = run_module("lb_pool", {"name": "eu", "state": "absent", "account_id": emulator.account_id})
    assert result["failed"] is True and "referenced by load balancer(s) app.example.com" in result["msg"]


# --- steering, through the emulator's steer endpoint ----------------------------------------------------------


def test_steering_off_fails_over_in_order_then_fallback(emulator, run_module, setup):
    lb(run_module, emulator, steering_policy="off", default_pools=["eu", "us"], fallback_pool="asia")
    assert steer(emulator)["pool_name"] == "eu"
    down(emulator, "eu", "eu-1")
    assert steer(emulator)["origin"] == "eu-2"  # minimum_origins 1: the pool is still healthy
    down(emulator, "eu", "eu-2")
    moved = steer(emulator)
    assert moved["pool_name"] == "us" and "failed over from unhealthy eu" in moved["reason"]
    down(emulator, "us", "us-1")
    down(emulator, "us", "us-2")
    fallback = steer(emulator)
    assert fallback["pool_name"] == "asia" and "fallback_pool" in fallback["reason"]


def test_steering_geo_pop_country_region_default(emulator, run_module, setup):
    emulator.state.data["zones"][setup["zone"]["id"]]["plan"]["legacy_id"] = "enterprise"
    lb(run_module, emulator, steering_policy="geo", region_pools={"NEAS": ["asia"], "ENAM": ["us"]},
       country_pools={"DE": ["eu"], "JP": ["us"]}, pop_pools={"SIN": ["asia"]})
    assert steer(emulator, pop="SIN")["pool_name"] == "asia"
    assert steer(emulator, country="JP")["pool_name"] == "us"            # country beats region
    assert steer(emulator, country="KR")["pool_name"] == "asia"          # KR -> region NEAS
    assert steer(emulator, region="ENAM")["pool_name"] == "us"
    other = steer(emulator, country="BR")
    assert other["pool_name"] == "eu" and "default_pools" in other["reason"]
    assert steer(emulator, country="DE")["reason"].startswith("country_pools[DE]")
    down(emulator, "asia", "asia-1")
    down(emulator, "asia", "asia-2")
    assert steer(emulator, country="KR")["pool_name"] == "us"            # region list exhausted -> fallback


def test_empty_policy_means_geo_with_maps_else_off(emulator, run_module, setup):
    lb(run_module, emulator, steering_policy="")
    assert steer(emulator, country="DE")["policy"] == "off"
    lb(run_module, emulator, steering_policy="", country_pools={"DE": ["us"]})
    answer = steer(emulator, country="DE")
    assert answer["policy"] == "geo" and answer["pool_name"] == "us"


def test_steering_random_follows_weights_and_seed(emulator, run_module, setup):
    lb(run_module, emulator, steering_policy="random", default_pools=["eu", "us"],
       random_steering={"default_weight": 1, "pool_weights": {"eu": 0.25}})
    picks = [steer(emulator, seed=7)["pool_name"] for _i in range(200)]
    share = picks.count("eu") / 200.0
    assert 0.1 < share < 0.35, share
    emulator.reset()


def test_steering_random_is_reproducible_with_a_seed(emulator, run_module, setup):
    lb(run_module, emulator, steering_policy="random")
    first = [steer(emulator, seed="s")["pool_name"] for _i in range(10)]
    lb(run_module, emulator, state="absent")
    emulator.state.data["lb_sim"] = {}
    lb(run_module, emulator, steering_policy="random")
    assert [steer(emulator, seed="s")["pool_name"] for _i in range(10)] == first


def test_steering_dynamic_latency_uses_probe_rtt(emulator, run_module, setup):
    lb(run_module, emulator, steering_policy="dynamic_latency", default_pools=["eu", "us"])
    assert steer(emulator)["pool_name"] == "eu"  # nothing measured yet: default_pools order
    data = emulator.state.data["lb_health"]
    for name, rtt in (("eu", 80.0), ("us", 20.0)):
        for origin in data[setup["pools"][name]["id"]].values():
            origin["rtt_ms"] = rtt
    answer = steer(emulator)
    assert answer["pool_name"] == "us" and "RTT" in answer["reason"]


def test_steering_proximity(emulator, run_module, setup):
    lb(run_module, emulator, steering_policy="proximity", default_pools=["eu", "us", "asia"])
    assert steer(emulator, country="FR")["pool_name"] == "eu"
    assert steer(emulator, country="SG")["pool_name"] == "asia"
    assert steer(emulator, latitude=40.7, longitude=-74.0)["pool_name"] == "us"
    assert steer(emulator, pop="SIN")["pool_name"] == "asia"


@pytest.mark.parametrize("policy", ["least_outstanding_requests", "least_connections"])
def test_steering_least_spreads_by_weight(emulator, run_module, setup, policy):
    lb(run_module, emulator, steering_policy=policy, random_steering={"pool_weights": {"eu": 0.5, "us": 1}})
    picks = [steer(emulator)["pool_name"] for _i in range(30)]
    assert picks.count("us") == 20 and picks.count("eu") == 10


def test_origin_steering_and_weights(emulator, run_module, setup):
    run_module("lb_pool", {"name": "eu", "origin_steering": {"policy": "hash"}, "account_id": emulator.account_id,
                           "origins": [{"name": "eu-1", "address": "192.0.2.1"},
                                       {"name": "eu-2", "address": "192.0.2.2"}]})
    lb(run_module, emulator, default_pools=["eu"], fallback_pool="eu")
    same = set(steer(emulator, client_ip="198.51.100.7")["origin"] for _i in range(5))
    assert len(same) == 1
    run_module("lb_pool", {"name": "eu", "origin_steering": {"policy": "random"}, "account_id": emulator.account_id,
                           "origins": [{"name": "eu-1", "address": "192.0.2.1", "weight": 0},
                                       {"name": "eu-2", "address": "192.0.2.2"}]})
    assert set(steer(emulator, seed=i)["origin"] for i in range(20)) == {"eu-2"}


def test_disabled_pool_and_origin_count_as_unhealthy(emulator, run_module, setup):
    lb(run_module, emulator, default_pools=["eu", "us"])
    run_module("lb_pool", {"name": "eu", "enabled": False, "account_id": emulator.account_id})
    assert steer(emulator)["pool_name"] == "us"
    run_module("lb_pool", {"name": "eu", "enabled": True, "minimum_origins": 2, "account_id": emulator.account_id,
                           "origins": [{"name": "eu-1", "address": "192.0.2.1", "enabled": False},
                                       {"name": "eu-2", "address": "192.0.2.2"}]})
    assert steer(emulator)["pool_name"] == "us"


@pytest.mark.parametrize("affinity", ["cookie", "ip_cookie"])
def test_cookie_affinity_pins_until_unhealthy(emulator, run_module, setup, affinity):
    lb(run_module, emulator, proxied=True, default_pools=["eu"], fallback_pool="eu", session_affinity=affinity,
       session_affinity_attributes={"samesite": "Strict", "secure": "Always"})
    first = steer(emulator, client_ip="198.51.100.1")
    assert first["set_cookie"].startswith("__cflb=") and "SameSite=Strict" in first["set_cookie"]
    assert "Secure" in first["set_cookie"] and "Max-Age=82800" in first["set_cookie"]
    cookie = first["session"]
    for seed in range(5):
        again = steer(emulator, cookie=cookie, seed=seed, client_ip="198.51.100.99")
        assert again["origin"] == first["origin"] and again["set_cookie"] is None
    down(emulator, "eu", first["origin"])
    moved = steer(emulator, cookie=cookie)
    assert moved["origin"] != first["origin"] and "unhealthy: new session" in moved["reason"]
    if affinity == "ip_cookie":
        assert steer(emulator, client_ip="198.51.100.1")["origin"] == moved["origin"]


def test_ip_cookie_first_choice_follows_client_ip(emulator, run_module, setup):
    lb(run_module, emulator, proxied=True, default_pools=["eu"], fallback_pool="eu", session_affinity="ip_cookie")
    choices = set(steer(emulator, client_ip="203.0.113.5", seed=s)["origin"] for s in range(5))
    assert len(choices) == 1


def test_header_affinity(emulator, run_module, setup):
    lb(run_module, emulator, proxied=True, default_pools=["eu"], fallback_pool="eu", session_affinity="header",
       session_affinity_attributes={"headers": ["x-user"]})
    first = steer(emulator, headers={"X-User": "alice"})
    assert first["set_cookie"] is None and first["session"]
    assert all(steer(emulator, headers={"x-user": "alice"}, seed=s)["origin"] == first["origin"] for s in range(5))
    no_header = steer(emulator)
    assert no_header["session"] is None and "session headers missing" in no_header["reason"]


def test_affinity_needs_proxied(emulator, run_module, setup):
    lb(run_module, emulator, proxied=False, session_affinity="cookie")
    answer = steer(emulator)
    assert answer["set_cookie"] is None and "needs a proxied load balancer" in answer["reason"]


@pytest.mark.parametrize("mode, expect", [("none", "fails"), ("temporary", "keeps"), ("sticky", "moves")])
def test_zero_downtime_failover(emulator, run_module, setup, mode, expect):
    lb(run_module, emulator, proxied=True, default_pools=["eu"], fallback_pool="eu", session_affinity="cookie",
       session_affinity_attributes={"zero_downtime_failover": mode})
    first = steer(emulator)
    cookie, pinned = first["session"], first["origin"]
    answer = steer(emulator, cookie=cookie, failing=[pinned])
    if expect == "fails":
        assert answer["origin"] == pinned and answer["error"] == "522"
    elif expect == "keeps":
        assert answer["origin"] != pinned and answer["set_cookie"] is None
        assert steer(emulator, cookie=cookie)["origin"] == pinned       # back to the pinned origin
    else:
        assert answer["origin"] != pinned and answer["set_cookie"]
        assert steer(emulator, cookie=cookie)["origin"] == answer["origin"]


def test_adaptive_routing_failover_across_pools(emulator, run_module, setup):
    lb(run_module, emulator, default_pools=["eu", "us"], adaptive_routing={"failover_across_pools": True})
    answer = steer(emulator, failing=["eu-1", "eu-2"])
    assert answer["pool_name"] == "us" and answer["error"] is None
    lb(run_module, emulator, adaptive_routing={"failover_across_pools": False})
    assert steer(emulator, failing=["eu-1", "eu-2"])["error"] == "522"


def test_check_mode_accepts_pools_planned_earlier(emulator, run_module, module_warnings, setup):
    result = run_module("load_balancer", {"zone": "example.com", "name": "new", "default_pools": ["future"],
                                          "fallback_pool": "future", "account_id": emulator.account_id},
                        check_mode=True)
    assert result["changed"] is True and "future" in str(result["warnings"])
    assert emulator.requests()["writes"] == 0


@pytest.fixture
def module_warnings(monkeypatch):
    """Module warnings in the result: once controller code has been imported in this process (other tests do),
    ansible sends them to the display instead unless ``is_controller`` is off."""
    from ansible.module_utils import _internal

    monkeypatch.setattr(_internal, "is_controller", False)


def test_location_strategy_for_dns_only_answers(emulator, run_module, setup):
    lb(run_module, emulator, proxied=False, steering_policy="geo", country_pools={"DE": ["eu"], "SG": ["asia"]},
       location_strategy={"mode": "resolver_ip", "prefer_ecs": "geo"})
    by_ecs = steer(emulator, country="US", resolver_country="SG", ecs_country="DE")
    assert by_ecs["pool_name"] == "eu" and by_ecs["located_by"] == "EDNS client subnet"
    by_resolver = steer(emulator, country="US", resolver_country="SG")
    assert by_resolver["pool_name"] == "asia" and by_resolver["located_by"] == "resolver IP"
    lb(run_module, emulator, location_strategy={"mode": "pop", "prefer_ecs": "never"})
    by_pop = steer(emulator, country="DE", resolver_country="SG", ecs_country="SG")
    assert by_pop["pool_name"] == "eu" and by_pop["located_by"] == "data centre (PoP)"
    lb(run_module, emulator, proxied=True, ttl=None)
    assert steer(emulator, country="DE", ecs_country="SG")["located_by"] == "client (proxied)"


def test_disabled_load_balancer_answers_nothing(emulator, run_module, setup):
    lb(run_module, emulator, enabled=False)
    answer = steer(emulator)
    assert answer["pool"] is None and answer["reason"] == "load balancer disabled"


def test_load_shedding_moves_a_share_to_the_next_pool(emulator, run_module, setup):
    run_module("lb_pool", {"name": "eu", "load_shedding": {"default_percent": 30}, "account_id": emulator.account_id})
    lb(run_module, emulator, default_pools=["eu", "us"])
    picks = [steer(emulator, seed=i)["pool_name"] for i in range(200)]
    assert 0.15 < picks.count("us") / 200.0 < 0.45  # 30 % shed, seeded draws
    run_module("lb_pool", {"name": "eu", "load_shedding": {"default_percent": 50, "default_policy": "hash"},
                           "account_id": emulator.account_id})
    same_client = set(steer(emulator, client_ip="198.51.100.20", seed=i)["pool_name"] for i in range(10))
    assert len(same_client) == 1
