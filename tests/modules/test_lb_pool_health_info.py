"""lb_pool_health_info against the emulator: every pool or one, origin states, disabled and monitor-less pools,
the gate option, request counts."""
from __future__ import annotations

POOLS = "/accounts/{}/load_balancers/pools"
MONITORS = "/accounts/{}/load_balancers/monitors"


def _seed(emulator):
    acc = emulator.account_id
    mon = emulator.api("POST", MONITORS.format(acc), {"description": "m"})["result"]
    checked = emulator.api("POST", POOLS.format(acc), {
        "name": "checked", "monitor": mon["id"], "check_regions": ["WEU", "ENAM"],
        "origins": [{"name": "one", "address": "192.0.2.1"}, {"name": "two", "address": "2001:db8::2"},
                    {"name": "off", "address": "192.0.2.3", "enabled": False}]})["result"]
    plain = emulator.api("POST", POOLS.format(acc), {"name": "plain", "origins": [
        {"name": "x", "address": "origin.example.com"}]})["result"]
    emulator.clear_requests()
    return checked, plain


def test_every_pool(emulator, run_module):
    checked, plain = _seed(emulator)
    emulator.control("POST", "/lb/health", {"pool": "checked", "origin": "two", "healthy": False,
                                            "reason": "HTTP 502"})
    result = run_module("lb_pool_health_info", {"account_id": emulator.account_id})
    assert result["changed"] is False
    assert [p["name"] for p in result["pools"]] == ["checked", "plain"]
    pool = result["pools"][0]
    assert pool["healthy"] is True and pool["healthy_origins"] == 1 and pool["regions"] == {"WEU": True, "ENAM": True}
    origins = dict((o["name"], o) for o in pool["origins"])
    assert origins["one"]["healthy"] is True and origins["one"]["failure_reason"] == ""
    assert origins["two"]["healthy"] is False and origins["two"]["failure_reason"] == "HTTP 502"
    assert origins["off"]["healthy"] is False and origins["off"]["enabled"] is False
    assert result["pools"][1]["healthy"] is True and result["pools"][1]["monitor"] is None
    log = emulator.requests()
    assert log["writes"] == 0 and log["total"] == 2  # one list of pools, one health read per monitored pool


def test_one_pool_and_gate(emulator, run_module):
    checked, _plain = _seed(emulator)
    for origin in ("one", "two"):
        emulator.control("POST", "/lb/health", {"pool": "checked", "origin": origin, "healthy": False})
    by_id = run_module("lb_pool_health_info", {"pool": checked["id"], "account_id": emulator.account_id})
    assert [p["name"] for p in by_id["pools"]] == ["checked"] and by_id["pools"][0]["healthy"] is False
    gate = run_module("lb_pool_health_info", {"pool": "checked", "fail_on_unhealthy": True,
                                              "account_id": emulator.account_id})
    assert gate["failed"] is True and gate["msg"] == "unhealthy pool(s): checked"
    missing = run_module("lb_pool_health_info", {"pool": "nope", "account_id": emulator.account_id})
    assert missing["failed"] is True and missing["msg"] == "pool: pool 'nope' does not exist"


def test_disabled_pool_is_unhealthy(emulator, run_module):
    _seed(emulator)
    run_module("lb_pool", {"name": "plain", "enabled": False, "account_id": emulator.account_id})
    result = run_module("lb_pool_health_info", {"pool": "plain", "account_id": emulator.account_id})
    assert result["pools"][0]["healthy"] is False and result["pools"][0]["enabled"] is False


def test_sdk_shaped_answer_is_read_too():
    from ansible_collections.websoft9.cloudflare.plugins.modules.lb_pool_health_info import summarise

    pool = {"id": "p", "name": "p", "monitor": "m", "minimum_origins": 1,
            "origins": [{"name": "a", "address": "2001:DB8::5"}]}
    sdk_shape = {"pool_id": "p", "pop_health": {"healthy": True, "origins": [
        {"2001:db8::5": {"healthy": True, "rtt": "12.1ms", "failure_reason": "No failures", "response_code": 401}}]}}
    got = summarise(pool, sdk_shape)
    assert got["healthy"] is True and got["origins"][0]["rtt"] == "12.1ms"
    assert got["origins"][0]["response_code"] == 401


def test_failed_health_read_is_reported_not_fatal(emulator, run_module):
    checked, _plain = _seed(emulator)
    emulator.faults([{"kind": "error_before", "path": "/health$", "status": 403, "times": 1}])
    result = run_module("lb_pool_health_info", {"account_id": emulator.account_id})
    assert result["changed"] is False
    broken = [p for p in result["pools"] if p["name"] == "checked"][0]
    assert broken["healthy"] is False and "HTTP 403" in broken["error"]
    assert [p["healthy"] for p in result["pools"] if p["name"] == "plain"] == [True]
