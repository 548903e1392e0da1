"""lb_pool against the emulator: every field, origins by name (L1), Host header names, monitor references,
validation before writes, request counts."""
from __future__ import annotations

import pytest

POOLS = "/accounts/{}/load_balancers/pools"
MONITORS = "/accounts/{}/load_balancers/monitors"


def _pools(emulator):
    return emulator.api("GET", POOLS.format(emulator.account_id))["result"]


def _monitor(emulator, description="check"):
    return emulator.api("POST", MONITORS.format(emulator.account_id), {"description": description})["result"]


def _args(emulator, **extra):
    args = {"name": "websoft9-eu", "account_id": emulator.account_id,
            "origins": [{"name": "eu-1", "address": "203.0.113.10"}]}
    args.update(extra)
    return args


def test_l1_origins_in_any_order_converge(emulator, run_module):
    origins = [{"name": "b", "address": "192.0.2.2", "weight": 0}, {"name": "a", "address": "192.0.2.1", "weight": 1}]
    result = run_module("lb_pool", _args(emulator, origins=origins))
    assert result["changed"] is True, result
    assert [o["name"] for o in result["pool"]["origins"]] == ["a", "b"]
    emulator.clear_requests()
    again = run_module("lb_pool", _args(emulator, origins=origins))
    assert again["changed"] is False, again
    log = emulator.requests()
    assert log["writes"] == 0 and log["by_route"] == {"GET /accounts/{account_id}/load_balancers/pools": 1}


def test_every_field_then_unchanged(emulator, run_module):
    mon = _monitor(emulator, "websoft9-https")
    args = _args(emulator, description="EU backends", enabled=True, minimum_origins=2, monitor="websoft9-https",
                 check_regions=["weu", "EEU"], notification_email="ops@example.com",
                 notification_filter={"pool": {"healthy": False}, "origin": {"disable": True}},
                 origin_steering={"policy": "least_connections"},
                 load_shedding={"default_percent": 10, "default_policy": "hash", "session_percent": 5},
                 latitude=50.11, longitude=8.68,
                 origins=[{"name": "eu-2", "address": "2001:DB8:0:0:0:0:0:5", "weight": 0.5, "port": 8443,
                           "header": {"host": "app.example.com"}, "enabled": False, "flatten_cname": False},
                          {"name": "eu-1", "address": "203.0.113.10", "virtual_network_id": "v" * 32}])
    result = run_module("lb_pool", args)
    assert result["changed"] is True, result
    pool = result["pool"]
    assert pool["monitor"] == mon["id"] and pool["minimum_origins"] == 2
    assert pool["check_regions"] == ["WEU", "EEU"]
    assert pool["origin_steering"] == {"policy": "least_connections"}
    assert pool["load_shedding"] == {"default_percent": 10, "default_policy": "hash", "session_percent": 5,
                                     "session_policy": "hash"}
    eu2 = [o for o in pool["origins"] if o["name"] == "eu-2"][0]
    assert eu2["header"] == {"Host": ["app.example.com"]} and eu2["address"] == "2001:db8::5"
    assert eu2["enabled"] is False and eu2["weight"] == 0.5 and eu2["port"] == 8443
    routes = emulator.requests()["by_route"]
    assert routes["POST /accounts/{account_id}/load_balancers/pools"] == 1
    assert routes["PATCH /accounts/{account_id}/load_balancers/pools/{pool_id}"] == 1  # check_regions after create

    emulator.clear_requests()
    again = run_module("lb_pool", dict(args, monitor=mon["id"], check_regions=["EEU", "WEU"],
                                       origins=list(reversed(args["origins"]))))
    assert again["changed"] is False, again
    log = emulator.requests()
    assert log["writes"] == 0 and log["total"] == 2  # one read of pools, one of monitors


def test_origin_change_keeps_unset_fields_and_removes_unlisted(emulator, run_module):
    run_module("lb_pool", _args(emulator, origins=[{"name": "a", "address": "192.0.2.1", "weight": 0.3},
                                                   {"name": "b", "address": "192.0.2.2"}]))
    emulator.clear_requests()
    result = run_module("lb_pool", _args(emulator, origins=[{"name": "a", "address": "192.0.2.9"}]), diff=True)
    assert result["changed"] is True and result["changed_fields"] == ["origins"]
    assert result["pool"]["origins"] == [dict(result["pool"]["origins"][0], name="a", address="192.0.2.9",
                                              weight=0.3)]
    assert len(result["diff"]["before"]["origins"]) == 2
    assert emulator.requests()["writes"] == 1


def test_header_host_change_detected(emulator, run_module):
    origins = [{"name": "a", "address": "192.0.2.1", "header": {"Host": ["a.example.com"]}}]
    run_module("lb_pool", _args(emulator, origins=origins))
    assert run_module("lb_pool", _args(emulator, origins=[dict(origins[0], header={"HOST": "a.example.com"})])
                      )["changed"] is False
    changed = run_module("lb_pool", _args(emulator, origins=[dict(origins[0], header={"host": "b.example.com"})]))
    assert changed["changed"] is True
    assert _pools(emulator)[0]["origins"][0]["header"] == {"Host": ["b.example.com"]}


def test_monitor_by_id_description_and_removal(emulator, run_module):
    mon = _monitor(emulator, "mine")
    assert run_module("lb_pool", _args(emulator, monitor=mon["id"]))["pool"]["monitor"] == mon["id"]
    assert run_module("lb_pool", _args(emulator, monitor="mine"))["changed"] is False
    removed = run_module("lb_pool", _args(emulator, monitor=""))
    assert removed["changed"] is True and removed["pool"]["monitor"] is None
    assert run_module("lb_pool", _args(emulator, monitor=""))["changed"] is False


@pytest.mark.parametrize("extra, message", [
    ({"name": "bad name!"}, "name: 'bad name!' is not a valid pool name"),
    ({"origins": [{"name": "a", "address": "192.0.2.1", "weight": 1.5}]}, "origins[0].weight: must be a number from 0 to 1"),
    ({"origins": [{"name": "a", "address": "192.0.2.1", "weight": 0.333}]}, "origins[0].weight: must be a multiple of 0.01"),
    ({"origins": [{"name": "a", "address": "192.0.2.1"}, {"name": "a", "address": "192.0.2.2"}]},
     "origins[1].name: 'a' appears twice"),
    ({"origins": [{"name": "a", "address": "192.0.2.1", "header": {"X-Foo": "1"}}]},
     "origins[0].header: only the Host header is supported"),
    ({"check_regions": ["MARS"]}, "check_regions: 'MARS' is not a Cloudflare region code"),
    ({"latitude": 95.0, "longitude": 1.0}, "latitude: must be a number from -90 to 90"),
    ({"latitude": 5.0}, "parameters are required together: latitude, longitude"),
    ({"monitor": "nope"}, "monitor: monitor 'nope' does not exist"),
    ({"load_shedding": {"default_percent": 120}}, "load_shedding.default_percent: must be a number from 0 to 100"),
    ({"minimum_origins": -1}, "minimum_origins: must be a non-negative integer"),
])
def test_validation_before_any_write(emulator, run_module, extra, message):
    result = run_module("lb_pool", _args(emulator, **extra))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert emulator.requests()["writes"] == 0
    assert _pools(emulator) == []


def test_create_needs_origins_and_duplicate_names_fail(emulator, run_module):
    result = run_module("lb_pool", {"name": "empty", "account_id": emulator.account_id})
    assert result["failed"] is True and "origins: at least one origin is required" in result["msg"]
    for _i in range(2):
        emulator.api("POST", POOLS.format(emulator.account_id),
                     {"name": "twin", "origins": [{"name": "a", "address": "192.0.2.1"}]})
    emulator.clear_requests()
    twin = run_module("lb_pool", _args(emulator, name="twin"))
    assert twin["failed"] is True and "2 pools are named 'twin'" in twin["msg"]
    assert emulator.requests()["writes"] == 0


def test_check_mode_diff_and_absent(emulator, run_module):
    check = run_module("lb_pool", _args(emulator), check_mode=True, diff=True)
    assert check["changed"] is True and check["diff"]["before"] == {}
    assert check["pool"]["origins"][0]["weight"] == 1 and check["pool"]["enabled"] is True
    assert emulator.requests()["writes"] == 0 and _pools(emulator) == []
    run_module("lb_pool", _args(emulator))
    gone = run_module("lb_pool", {"name": "websoft9-eu", "state": "absent", "account_id": emulator.account_id})
    assert gone["changed"] is True and _pools(emulator) == []
    assert run_module("lb_pool", {"name": "websoft9-eu", "state": "absent",
                                  "account_id": emulator.account_id})["changed"] is False


def test_delete_of_monitor_in_use_is_refused(emulator, run_module):
    mon = _monitor(emulator, "used")
    run_module("lb_pool", _args(emulator, monitor="used"))
    result = run_module("lb_monitor", {"id": mon["id"], "state": "absent", "account_id": emulator.account_id})
    assert result["failed"] is True and "referenced by pool(s) websoft9-eu" in result["msg"]


def test_check_mode_accepts_a_monitor_planned_earlier(emulator, run_module, module_warnings):
    result = run_module("lb_pool", _args(emulator, monitor="not-yet"), check_mode=True)
    assert result["changed"] is True and "not-yet" in str(result["warnings"])
    assert emulator.requests()["writes"] == 0


def test_lost_create_answer_is_reconciled_not_duplicated(emulator, run_module):
    emulator.faults([{"kind": "error_after", "method": "POST", "path": "/load_balancers/pools$", "times": 1,
                      "status": 502}])
    result = run_module("lb_pool", _args(emulator))
    assert result["changed"] is True, result
    assert len(_pools(emulator)) == 1
    assert emulator.requests()["by_route"]["POST /accounts/{account_id}/load_balancers/pools"] == 1


@pytest.fixture
def module_warnings(monkeypatch):
    """Module warnings in the result: once controller code has been imported in this process (other tests do),
    ansible sends them to the display instead unless ``is_controller`` is off."""
    from ansible.module_utils import _internal

    monkeypatch.setattr(_internal, "is_controller", False)
