"""lb_monitor against the emulator: every field, identity by description or id, L2/L3, validation before writes."""
from __future__ import annotations

import pytest

MONITORS = "/accounts/{}/load_balancers/monitors"


def _monitors(emulator):
    return emulator.api("GET", MONITORS.format(emulator.account_id))["result"]


def test_create_every_field_then_unchanged(emulator, run_module):
    args = {"description": "websoft9-https", "type": "https", "method": "HEAD", "path": "/health",
            "header": {"Host": "app.example.com", "X-Check": ["1", "2"]}, "port": 8443, "monitor_timeout": 3,
            "interval": 30, "retries": 1, "expected_codes": "2xx", "expected_body": "ok", "follow_redirects": True,
            "allow_insecure": True, "probe_zone": "example.com", "consecutive_up": 2, "consecutive_down": 3,
            "account_id": emulator.account_id}
    result = run_module("lb_monitor", args)
    assert result["changed"] is True, result
    mon = result["monitor"]
    assert mon["timeout"] == 3 and mon["header"] == {"Host": ["app.example.com"], "X-Check": ["1", "2"]}
    assert mon["type"] == "https" and mon["method"] == "HEAD" and mon["port"] == 8443
    sent = [r for r in emulator.requests()["requests"] if r["method"] == "POST"]
    assert len(sent) == 1
    stored = _monitors(emulator)
    assert len(stored) == 1 and stored[0]["consecutive_down"] == 3 and stored[0]["probe_zone"] == "example.com"

    emulator.clear_requests()
    again = run_module("lb_monitor", dict(args, header={"host": ["app.example.com"], "x-check": ["1", "2"]},
                                          expected_codes="2XX", method="head", probe_zone="Example.COM."))
    assert again["changed"] is False, again
    log = emulator.requests()
    assert log["writes"] == 0 and log["total"] == 1


def test_l2_host_header_change_is_detected_and_sent(emulator, run_module):
    base = {"description": "hdr", "header": {"Host": "a.example.com"}, "account_id": emulator.account_id}
    assert run_module("lb_monitor", base)["changed"] is True
    emulator.clear_requests()
    result = run_module("lb_monitor", dict(base, header={"Host": "b.example.com"}), diff=True)
    assert result["changed"] is True and result["changed_fields"] == ["header"]
    assert result["diff"]["before"]["header"] == {"Host": ["a.example.com"]}
    assert result["diff"]["after"]["header"] == {"Host": ["b.example.com"]}
    assert emulator.requests()["by_route"]["PUT /accounts/{account_id}/load_balancers/monitors/{monitor_id}"] == 1
    assert _monitors(emulator)[0]["header"] == {"Host": ["b.example.com"]}


@pytest.mark.parametrize("extra", [{}, {"consecutive_up": 0, "consecutive_down": 0}])
def test_l3_consecutive_zero_or_unset_converges(emulator, run_module, extra):
    args = dict({"description": "l3", "account_id": emulator.account_id}, **extra)
    assert run_module("lb_monitor", args)["changed"] is True
    emulator.clear_requests()
    assert run_module("lb_monitor", args)["changed"] is False
    assert run_module("lb_monitor", dict(args, consecutive_up=0, consecutive_down=0, interval=60,
                                         monitor_timeout=5, retries=2, path="/", expected_codes="200",
                                         method="GET", type="http", header={}, expected_body=""))["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_server_defaults_returned(emulator, run_module):
    mon = run_module("lb_monitor", {"description": "defaults", "account_id": emulator.account_id})["monitor"]
    assert {k: mon[k] for k in ("type", "interval", "timeout", "retries", "method", "path", "expected_codes",
                                "consecutive_up", "consecutive_down", "port")} == {
        "type": "http", "interval": 60, "timeout": 5, "retries": 2, "method": "GET", "path": "/",
        "expected_codes": "200", "consecutive_up": 0, "consecutive_down": 0, "port": 0}
    tcp = run_module("lb_monitor", {"description": "tcp", "type": "tcp", "port": 5432,
                                    "account_id": emulator.account_id})["monitor"]
    assert tcp["method"] == "connection_established"


def test_type_change_drops_http_fields(emulator, run_module):
    run_module("lb_monitor", {"description": "flip", "path": "/x", "expected_body": "ok",
                              "account_id": emulator.account_id})
    result = run_module("lb_monitor", {"description": "flip", "type": "tcp", "port": 22,
                                       "account_id": emulator.account_id})
    assert result["changed"] is True, result
    assert result["monitor"]["type"] == "tcp" and result["monitor"]["method"] == "connection_established"
    assert run_module("lb_monitor", {"description": "flip", "type": "tcp", "port": 22,
                                     "account_id": emulator.account_id})["changed"] is False


@pytest.mark.parametrize("args, message", [
    ({"monitor_timeout": 10, "interval": 10}, "monitor_timeout: must be less than interval"),
    ({"type": "tcp"}, "port: is required for tcp monitors"),
    ({"type": "smtp"}, "port: is required for smtp monitors"),
    ({"type": "icmp_ping", "port": 7}, "port: is not used by icmp_ping monitors"),
    ({"type": "tcp", "port": 22, "path": "/x"}, "path: is only valid for http and https monitors"),
    ({"expected_codes": "abc"}, "expected_codes: 'abc' is not an HTTP status code"),
    ({"header": {"User-Agent": "me"}}, "header: the User-Agent header cannot be overridden"),
    ({"method": "POST", "type": "http"}, "method: must be GET or HEAD"),
    ({"interval": 2}, "interval: must be an integer from 5 to 3600"),
    ({"retries": 9}, "retries: must be an integer from 0 to 5"),
])
def test_validation_before_any_write(emulator, run_module, args, message):
    result = run_module("lb_monitor", dict({"description": "bad", "account_id": emulator.account_id}, **args))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert emulator.requests()["writes"] == 0
    assert _monitors(emulator) == []


def test_timeout_checked_against_existing_interval(emulator, run_module):
    run_module("lb_monitor", {"description": "iv", "interval": 10, "monitor_timeout": 2,
                              "account_id": emulator.account_id})
    emulator.clear_requests()
    result = run_module("lb_monitor", {"description": "iv", "monitor_timeout": 10, "account_id": emulator.account_id})
    assert result["failed"] is True and "monitor_timeout: must be less than interval" in result["msg"]
    assert emulator.requests()["writes"] == 0
    assert _monitors(emulator)[0]["timeout"] == 2


def test_duplicate_description_fails_clearly(emulator, run_module):
    for _i in range(2):
        emulator.api("POST", MONITORS.format(emulator.account_id), {"description": "twin"})
    emulator.clear_requests()
    result = run_module("lb_monitor", {"description": "twin", "account_id": emulator.account_id})
    assert result["failed"] is True and "2 monitors are named 'twin'" in result["msg"]
    assert emulator.requests()["writes"] == 0


def test_by_id_check_mode_and_absent(emulator, run_module):
    created = run_module("lb_monitor", {"description": "byid", "account_id": emulator.account_id})["monitor"]
    check = run_module("lb_monitor", {"id": created["id"], "path": "/new", "account_id": emulator.account_id},
                       check_mode=True, diff=True)
    assert check["changed"] is True and check["monitor"]["path"] == "/new"
    assert check["diff"]["before"]["path"] == "/"
    assert _monitors(emulator)[0]["path"] == "/"
    missing = run_module("lb_monitor", {"id": "0" * 32, "account_id": emulator.account_id})
    assert missing["failed"] is True and "id: monitor" in missing["msg"]
    gone = run_module("lb_monitor", {"description": "byid", "state": "absent", "account_id": emulator.account_id})
    assert gone["changed"] is True and gone["monitor"] == {}
    assert _monitors(emulator) == []
    assert run_module("lb_monitor", {"description": "byid", "state": "absent",
                                     "account_id": emulator.account_id})["changed"] is False


def test_create_in_check_mode_writes_nothing(emulator, run_module):
    result = run_module("lb_monitor", {"description": "cm", "type": "tcp", "port": 80,
                                       "account_id": emulator.account_id}, check_mode=True, diff=True)
    assert result["changed"] is True and result["diff"]["before"] == {}
    assert result["monitor"]["type"] == "tcp" and "path" not in result["monitor"]
    assert emulator.requests()["writes"] == 0
