"""Failover end to end: real HTTP origins on 127.0.0.x, real probes by the emulator's monitors, steering follows.

Two tiny HTTP servers answer /health; stopping one makes its pool unhealthy at the next probe round and the
steer endpoint moves traffic to the next pool; restarting it brings traffic back (after consecutive_up rounds).
"""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Origin(object):
    """A tiny origin: GET /health answers 200 "ok <name>" when the Host header is right, else 421."""

    def __init__(self, address, name, port=0):
        self.address, self.name, self.status = address, name, 200
        self.seen_hosts = []
        self.port = port
        self.server = None

    def start(self):
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                origin.seen_hosts.append(self.headers.get("Host"))
                ok = self.path == "/health" and self.headers.get("Host") == "app.example.com"
                status = origin.status if ok else 421
                body = ("ok %s" % origin.name if status == 200 else "no").encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((self.address, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def origins():
    started = [Origin("127.0.0.2", "a").start(), Origin("127.0.0.3", "b").start()]
    yield started
    for origin in started:
        if origin.server is not None:
            try:
                origin.stop()
            except OSError:
                pass


def probe(emulator, rounds=1):
    return emulator.control("POST", "/lb/probe", {"rounds": rounds, "timeout_cap": 1})


def steer(emulator):
    return emulator.control("POST", "/lb/steer", {"hostname": "app.example.com", "country": "DE"})


def test_failover_and_back(emulator, run_module, origins):
    a, b = origins
    acc = emulator.account_id
    emulator.add_zone("example.com")
    mon = run_module("lb_monitor", {"description": "health", "path": "/health", "expected_codes": "2xx",
                                    "expected_body": "OK", "interval": 10, "monitor_timeout": 1, "retries": 0,
                                    "consecutive_down": 1, "consecutive_up": 2,
                                    "header": {"Host": "wrong.example.com"}, "account_id": acc})
    assert mon["changed"] is True, mon
    for name, origin in (("primary", a), ("secondary", b)):
        pool = run_module("lb_pool", {"name": name, "monitor": "health", "account_id": acc, "origins": [
            {"name": origin.name, "address": origin.address, "port": origin.port,
             "header": {"Host": "app.example.com"}}]})
        assert pool["changed"] is True, pool
    balancer = run_module("load_balancer", {"zone": "example.com", "name": "app", "proxied": True,
                                            "default_pools": ["primary", "secondary"], "fallback_pool": "secondary",
                                            "account_id": acc})
    assert balancer["changed"] is True, balancer

    started = time.monotonic()
    report = probe(emulator)
    assert all(p["healthy"] for p in report["pools"].values()), report
    assert a.seen_hosts == ["app.example.com"]  # the origin's Host header wins over the monitor's
    first = steer(emulator)
    assert (first["pool_name"], first["origin"], first["address"], first["port"]) == \
        ("primary", "a", "127.0.0.2", a.port)

    a.stop()
    report = probe(emulator)
    primary = [p for p in report["pools"].values() if p["name"] == "primary"][0]
    assert primary["healthy"] is False and "Connection refused" in primary["origins"]["a"]["failure_reason"]
    moved = steer(emulator)
    assert moved["pool_name"] == "secondary" and moved["origin"] == "b"
    assert "failed over from unhealthy primary" in moved["reason"]

    info = run_module("lb_pool_health_info", {"account_id": acc})
    by_name = dict((p["name"], p) for p in info["pools"])
    assert by_name["primary"]["healthy"] is False and by_name["secondary"]["healthy"] is True
    assert by_name["primary"]["origins"][0]["failure_reason"].startswith("ConnectionRefusedError")
    gate = run_module("lb_pool_health_info", {"pool": "primary", "fail_on_unhealthy": True, "account_id": acc})
    assert gate["failed"] is True and "unhealthy pool(s): primary" in gate["msg"]

    origins[0] = Origin("127.0.0.2", "a", port=a.port).start()  # the same address and port again
    probe(emulator)
    assert steer(emulator)["pool_name"] == "secondary"  # consecutive_up 2: one good check is not enough
    probe(emulator)
    back = steer(emulator)
    assert back["pool_name"] == "primary" and back["origin"] == "a"
    assert time.monotonic() - started < 5


def test_expected_codes_and_body_and_minimum_origins(emulator, run_module, origins):
    a, b = origins
    acc = emulator.account_id
    run_module("lb_monitor", {"description": "strict", "path": "/health", "expected_body": "ok",
                              "header": {"Host": "app.example.com"}, "retries": 1, "account_id": acc})
    pool = run_module("lb_pool", {"name": "both", "monitor": "strict", "minimum_origins": 2, "account_id": acc,
                                  "origins": [{"name": o.name, "address": o.address, "port": o.port}
                                              for o in origins]})
    assert pool["changed"] is True, pool
    assert all(p["healthy"] for p in probe(emulator)["pools"].values())
    b.status = 503
    report = list(probe(emulator)["pools"].values())[0]
    assert report["healthy"] is False  # one of two origins is down, minimum_origins is 2
    assert report["origins"]["b"]["failure_reason"] == "HTTP 503 does not match expected codes 200"
    assert report["origins"]["b"]["response_code"] == 503
    assert report["origins"]["a"]["healthy"] is True
    health = emulator.api("GET", "/accounts/%s/load_balancers/pools/%s/health" % (acc, pool["pool"]["id"]))
    entry = health["result"]["pop_health"]["ALL_REGIONS"]
    assert entry["healthy"] is False
    assert {"127.0.0.3": {"healthy": False, "rtt": entry["origins"][1]["127.0.0.3"]["rtt"],
                          "failure_reason": "HTTP 503 does not match expected codes 200",
                          "response_code": 503}} in entry["origins"]


def test_only_loopback_and_allow_listed_addresses_are_probed(emulator, run_module):
    acc = emulator.account_id
    run_module("lb_monitor", {"description": "m", "account_id": acc})
    run_module("lb_pool", {"name": "far", "monitor": "m", "account_id": acc, "origins": [
        {"name": "public", "address": "192.0.2.50"}, {"name": "lan", "address": "10.254.254.254", "port": 9},
        {"name": "named", "address": "origin.example.com"}]})
    report = list(probe(emulator)["pools"].values())[0]["origins"]
    assert report["public"]["probed"] is False and "not a loopback or allow-listed" in report["public"]["failure_reason"]
    assert report["named"]["probed"] is False and "hostname" in report["named"]["failure_reason"]
    assert report["lan"]["probed"] is False and report["lan"]["healthy"] is True
    for public in ("8.8.8.8", "192.0.2.0/24"):
        with pytest.raises(Exception):
            emulator.control("POST", "/lb/allow", {"addresses": [public]})
    assert emulator.control("POST", "/lb/allow", {"addresses": ["10.254.254.0/24"]})["allow"] == ["10.254.254.0/24"]
    emulator.control("POST", "/lb/allow", {"addresses": []})


def test_background_probing(emulator, run_module, origins):
    a, b = origins
    acc = emulator.account_id
    run_module("lb_monitor", {"description": "bg", "path": "/health", "header": {"Host": "app.example.com"},
                              "expected_codes": "2xx", "account_id": acc})
    run_module("lb_pool", {"name": "bg", "monitor": "bg", "account_id": acc, "origins": [
        {"name": "a", "address": a.address, "port": a.port}]})
    emulator.control("POST", "/lb/background", {"interval": 0.2, "timeout_cap": 1})
    try:
        a.status = 500
        deadline = time.monotonic() + 3
        healthy = True
        while healthy and time.monotonic() < deadline:
            time.sleep(0.1)
            health = run_module("lb_pool_health_info", {"pool": "bg", "account_id": acc})
            healthy = health["pools"][0]["healthy"]
        assert healthy is False
    finally:
        assert emulator.control("DELETE", "/lb/background")["stopped"] is True
