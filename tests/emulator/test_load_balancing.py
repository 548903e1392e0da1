"""Fidelity of the emulator's load balancing family (cfemu/load_balancing.py): the official SDK sends and parses
every call (wire aliases: monitor ``timeout``, origin header ``Host``), server defaults are filled in, origins come
back sorted by name, and the API's validation rules answer 400 before anything is stored."""
from __future__ import annotations

import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cloudflare
import pytest


@pytest.fixture
def cf(emulator):
    client = cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def acc(emulator):
    return emulator.account_id


def raw(emulator, method, path, body=None):
    return emulator.api(method, path, body)


def mon_path(acc, suffix=""):
    return "/accounts/%s/load_balancers/monitors%s" % (acc, suffix)


def pool_path(acc, suffix=""):
    return "/accounts/%s/load_balancers/pools%s" % (acc, suffix)


def test_sdk_monitor_round_trip_and_defaults(cf, acc, emulator):
    mon = cf.load_balancers.monitors.create(account_id=acc, description="sdk", load_balancer_monitor_timeout=7,
                                            interval=30, header={"Host": ["a.example.com"]})
    sent = [r for r in emulator.requests()["requests"] if r["method"] == "POST"]
    assert sent and mon.timeout == 7 and mon.header == {"Host": ["a.example.com"]}
    assert (mon.type, mon.method, mon.path, mon.expected_codes, mon.retries, mon.consecutive_up,
            mon.consecutive_down, mon.port, mon.follow_redirects, mon.allow_insecure) == \
        ("http", "GET", "/", "200", 2, 0, 0, 0, False, False)
    assert [m.id for m in cf.load_balancers.monitors.list(account_id=acc)] == [mon.id]
    edited = cf.load_balancers.monitors.edit(mon.id, account_id=acc, path="/health")
    assert edited.path == "/health" and edited.timeout == 7
    updated = cf.load_balancers.monitors.update(mon.id, account_id=acc, type="tcp", port=22, description="sdk")
    assert updated.method == "connection_established" and updated.timeout == 5 and updated.path is None
    assert cf.load_balancers.monitors.get(mon.id, account_id=acc).port == 22
    assert cf.load_balancers.monitors.delete(mon.id, account_id=acc).id == mon.id


def test_sdk_pool_origins_sorted_host_alias_and_defaults(cf, acc):
    pool = cf.load_balancers.pools.create(account_id=acc, name="sdk-pool", origins=[
        {"name": "b", "address": "192.0.2.2", "weight": 0},
        {"name": "a", "address": "2001:DB8:0::1", "header": {"host": ["app.example.com"]}}])
    assert [o.name for o in pool.origins] == ["a", "b"]
    assert pool.origins[0].header.host == ["app.example.com"] and pool.origins[0].address == "2001:db8::1"
    assert (pool.enabled, pool.minimum_origins, pool.origin_steering.policy, pool.load_shedding.default_policy,
            pool.load_shedding.session_policy) == (True, 1, "random", "random", "hash")
    assert pool.origins[1].weight == 0 and pool.origins[0].enabled is True and pool.origins[0].flatten_cname is True
    edited = cf.load_balancers.pools.edit(pool.id, account_id=acc, check_regions=["WEU"])
    assert edited.check_regions == ["WEU"] and len(edited.origins) == 2
    assert [p.name for p in cf.load_balancers.pools.list(account_id=acc)] == ["sdk-pool"]
    bulk = cf.load_balancers.pools.bulk_edit(account_id=acc, notification_email="ops@example.com")
    assert [p.notification_email for p in bulk] == ["ops@example.com"]
    health = cf.load_balancers.pools.health.get(pool.id, account_id=acc)
    assert health.pool_id == pool.id
    assert cf.load_balancers.pools.delete(pool.id, account_id=acc).id == pool.id


def test_sdk_load_balancer_round_trip(cf, acc, emulator):
    zone = emulator.add_zone("example.com")
    pool = cf.load_balancers.pools.create(account_id=acc, name="p", origins=[{"name": "a", "address": "192.0.2.1"}])
    lb = cf.load_balancers.create(zone_id=zone["id"], name="WWW.example.com", default_pools=[pool.id],
                                  fallback_pool=pool.id, session_affinity="cookie", country_pools={"DE": [pool.id]})
    assert lb.name == "www.example.com" and lb.zone_name == "example.com"
    assert (lb.steering_policy, lb.proxied, lb.enabled, lb.ttl, lb.session_affinity_ttl) == ("", False, True, 30, 82800)
    attrs = lb.session_affinity_attributes
    assert (attrs.samesite, attrs.secure, attrs.zero_downtime_failover, attrs.drain_duration) == \
        ("Auto", "Auto", "none", 0)
    assert lb.location_strategy.mode == "pop" and lb.adaptive_routing.failover_across_pools is False
    assert lb.random_steering.default_weight == 1
    assert [x.id for x in cf.load_balancers.list(zone_id=zone["id"])] == [lb.id]
    edited = cf.load_balancers.edit(lb.id, zone_id=zone["id"], proxied=True)
    assert edited.proxied is True and edited.country_pools == {"DE": [pool.id]}
    refs = cf.load_balancers.pools.references.get(pool.id, account_id=acc)
    assert [(r.resource_type, r.resource_name) for r in refs] == [("load_balancer", "www.example.com")]
    assert cf.load_balancers.delete(lb.id, zone_id=zone["id"]).id == lb.id


def test_sdk_monitor_references_and_preview(cf, acc):
    mon = cf.load_balancers.monitors.create(account_id=acc, description="m")
    pool = cf.load_balancers.pools.create(account_id=acc, name="p", monitor=mon.id,
                                          origins=[{"name": "a", "address": "192.0.2.1"}])
    refs = cf.load_balancers.monitors.references.get(mon.id, account_id=acc)
    assert [(r.reference_type, r.resource_id) for r in refs] == [("referrer", pool.id)]
    preview = cf.load_balancers.monitors.previews.create(mon.id, account_id=acc, expected_codes="2xx")
    assert preview.pools == {pool.id: "p"} and preview.preview_id
    result = cf.load_balancers.previews.get(preview.preview_id, account_id=acc)
    origin = result[pool.id].origins[0]["192.0.2.1"]
    assert origin.healthy is False and origin.failure_reason.startswith("not probed")
    again = cf.load_balancers.pools.health.create(pool.id, account_id=acc, expected_codes="200")
    assert again.preview_id != preview.preview_id
    with pytest.raises(cloudflare.BadRequestError):
        cf.load_balancers.monitors.delete(mon.id, account_id=acc)


@pytest.mark.parametrize("body, fragment", [
    ({"timeout": 10, "interval": 10}, "timeout must be less than its interval"),
    ({"type": "tcp"}, "port is required for tcp"),
    ({"type": "udp_icmp"}, "port is required for udp_icmp"),
    ({"type": "icmp_ping", "port": 1}, "port is not valid for icmp_ping"),
    ({"type": "tcp", "port": 1, "path": "/x"}, "path is only valid for HTTP and HTTPS"),
    ({"type": "gopher"}, "type must be one of"),
    ({"header": {"User-Agent": ["x"]}}, "User-Agent header cannot be overridden"),
    ({"header": {"Host": "x"}}, "header values must be lists of strings"),
    ({"expected_codes": "2000"}, "expected_codes must be"),
    ({"method": "POST"}, "method must be GET or HEAD"),
    ({"interval": 1}, "interval must be between 5 and 3600"),
    ({"load_balancer_monitor_timeout": 3}, "unknown field"),
])
def test_monitor_validation(emulator, acc, body, fragment):
    answer = raw(emulator, "POST", mon_path(acc), body)
    assert answer["success"] is False and fragment in answer["errors"][0]["message"], answer
    assert raw(emulator, "GET", mon_path(acc))["result"] == []


@pytest.mark.parametrize("body, fragment", [
    ({"name": "bad name", "origins": [{"name": "a", "address": "192.0.2.1"}]}, "Only alphanumeric characters"),
    ({"name": "p"}, "origins is required"),
    ({"name": "p", "origins": [{"name": "a", "address": "192.0.2.1", "weight": 1.01}]}, "weight must be between 0"),
    ({"name": "p", "origins": [{"name": "a", "address": "192.0.2.1", "weight": 0.555}]}, "steps of 0.01"),
    ({"name": "p", "origins": [{"name": "a", "address": "192.0.2.1"}, {"name": "a", "address": "192.0.2.2"}]},
     "origin names must be unique"),
    ({"name": "p", "origins": [{"address": "192.0.2.1"}]}, "origins[0].name is required"),
    ({"name": "p", "origins": [{"name": "a", "address": "192.0.2.1", "header": {"X-A": ["1"]}}]},
     "only the Host header is supported"),
    ({"name": "p", "latitude": 10.0, "origins": [{"name": "a", "address": "192.0.2.1"}]},
     "latitude and longitude must be set together"),
    ({"name": "p", "monitor": "f" * 32, "origins": [{"name": "a", "address": "192.0.2.1"}]}, "does not exist"),
    ({"name": "p", "check_regions": ["XX"], "origins": [{"name": "a", "address": "192.0.2.1"}]}, "not a region"),
    ({"name": "p", "origin_steering": {"policy": "fastest"}, "origins": [{"name": "a", "address": "192.0.2.1"}]},
     "origin_steering.policy is invalid"),
])
def test_pool_validation(emulator, acc, body, fragment):
    answer = raw(emulator, "POST", pool_path(acc), body)
    assert answer["success"] is False and fragment in answer["errors"][0]["message"], answer
    assert raw(emulator, "GET", pool_path(acc))["result"] == []


@pytest.fixture
def lb_env(emulator, acc):
    zone = emulator.add_zone("example.com")
    pool = raw(emulator, "POST", pool_path(acc), {"name": "p", "origins": [{"name": "a", "address": "192.0.2.1"}]})
    return zone, pool["result"]["id"]


@pytest.mark.parametrize("extra, fragment", [
    ({"name": "www.other.org"}, "name must be a hostname in zone example.com"),
    ({"default_pools": []}, "default_pools is required"),
    ({"fallback_pool": "0" * 32}, "does not exist"),
    ({"region_pools": {"MARS": ["{pool}"]}}, "not a region code"),
    ({"country_pools": {"ZZ": ["{pool}"]}}, "not a country code"),
    ({"country_pools": {"DE": ["0" * 32]}}, "does not exist"),
    ({"pop_pools": {"LAX": ["{pool}"]}}, "pop_pools requires an Enterprise plan"),
    ({"session_affinity": "cookie", "session_affinity_ttl": 100}, "between 1800 and 604800"),
    ({"session_affinity": "header", "session_affinity_ttl": 5000,
      "session_affinity_attributes": {"headers": ["x"]}}, "between 30 and 3600"),
    ({"session_affinity": "header", "session_affinity_attributes": {"headers": ["x", "y"]}}, "too many headers"),
    ({"session_affinity": "header"}, "headers is required"),
    ({"steering_policy": "fastest"}, "steering_policy is invalid"),
    ({"random_steering": {"default_weight": 2}}, "weights must be between 0 and 1"),
    ({"steering_policy": "dynamic_latency"}, "dynamic_latency steering needs a monitor"),
    ({"rules": [{"name": "r", "overrides": {"fallback_pool": "0" * 32}}]}, "rules[0].overrides.pool"),
])
def test_load_balancer_validation(emulator, lb_env, extra, fragment):
    zone, pool = lb_env
    body = {"name": "app.example.com", "default_pools": [pool], "fallback_pool": pool}
    for key, value in extra.items():
        if isinstance(value, dict):
            value = dict((k, [pool if p == "{pool}" else p for p in v] if isinstance(v, list) else v)
                         for k, v in value.items())
        body[key] = value
    answer = raw(emulator, "POST", "/zones/%s/load_balancers" % zone["id"], body)
    assert answer["success"] is False and fragment in answer["errors"][0]["message"], answer
    assert raw(emulator, "GET", "/zones/%s/load_balancers" % zone["id"])["result"] == []


def test_duplicate_hostname_and_zone_delete(emulator, lb_env):
    zone, pool = lb_env
    body = {"name": "app.example.com", "default_pools": [pool], "fallback_pool": pool}
    assert raw(emulator, "POST", "/zones/%s/load_balancers" % zone["id"], body)["success"] is True
    again = raw(emulator, "POST", "/zones/%s/load_balancers" % zone["id"], body)
    assert again["success"] is False and "already exists" in again["errors"][0]["message"]
    raw(emulator, "DELETE", "/zones/%s" % zone["id"])
    assert emulator.state.data["zone:load_balancers"] == {}


def test_pop_pools_on_enterprise(emulator, lb_env):
    zone, pool = lb_env
    emulator.state.data["zones"][zone["id"]]["plan"]["legacy_id"] = "enterprise"
    body = {"name": "app.example.com", "default_pools": [pool], "fallback_pool": pool, "pop_pools": {"LAX": [pool]},
            "session_affinity": "header", "session_affinity_attributes": {"headers": ["a", "b", "c"]}}
    answer = raw(emulator, "POST", "/zones/%s/load_balancers" % zone["id"], body)
    assert answer["success"] is True, answer
    assert answer["result"]["session_affinity_ttl"] == 1800


# --- real probes: protocols and monitor options -------------------------------------------------------------------


class _Server(object):
    """A tiny HTTP(S) origin on a loopback address: ``routes`` maps a path to (status, headers, body); the first
    ``drop`` connections are closed without an answer."""

    def __init__(self, address="127.0.0.5", routes=None, tls=None, drop=0):
        self.routes = routes or {"/": (200, {}, b"ok")}
        self.seen = []
        self.drop = drop
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                server.seen.append((self.command, self.path, self.headers.get("Host"),
                                    self.headers.get("X-Probe"), self.headers.get("User-Agent")))
                if server.drop > 0:
                    server.drop -= 1
                    self.close_connection = True
                    return
                status, headers, body = server.routes.get(self.path, (404, {}, b"missing"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.address, self.port = self.httpd.server_address[:2]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "origin.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def _probe_one(emulator, acc, monitor, origin, rounds=1):
    mon = raw(emulator, "POST", mon_path(acc), monitor)
    assert mon["success"] is True, mon
    pool = raw(emulator, "POST", pool_path(acc), {"name": "probe-%s" % mon["result"]["id"][:8],
                                                  "monitor": mon["result"]["id"], "origins": [origin]})
    assert pool["success"] is True, pool
    report = emulator.control("POST", "/lb/probe", {"rounds": rounds, "timeout_cap": 1,
                                                    "pool": pool["result"]["id"]})
    return report["pools"][pool["result"]["id"]]["origins"][origin["name"]]


def test_https_probe_verifies_certificates_unless_allow_insecure(emulator, acc, tmp_path):
    server = _Server(tls=_self_signed(tmp_path))
    try:
        origin = {"name": "tls", "address": server.address, "port": server.port}
        strict = _probe_one(emulator, acc, {"type": "https", "description": "strict", "retries": 0}, origin)
        assert strict["healthy"] is False and "CERTIFICATE_VERIFY_FAILED" in strict["failure_reason"]
        loose = _probe_one(emulator, acc, {"type": "https", "description": "loose", "allow_insecure": True}, origin)
        assert loose["healthy"] is True and loose["response_code"] == 200
    finally:
        server.close()


def test_http_probe_method_path_headers_and_redirects(emulator, acc):
    server = _Server(routes={"/": (302, {"Location": "/ok"}, b""), "/ok": (200, {}, b"All Good"),
                             "/away": (301, {"Location": "http://192.0.2.1/"}, b"")})
    try:
        origin = {"name": "o", "address": server.address, "port": server.port}
        plain = _probe_one(emulator, acc, {"description": "plain", "retries": 0}, origin)
        assert plain["healthy"] is False and plain["failure_reason"].startswith("HTTP 302 does not match")
        follow = _probe_one(emulator, acc, {"description": "follow", "follow_redirects": True,
                                            "expected_body": "all good", "method": "GET",
                                            "header": {"Host": ["probe.example.com"], "X-Probe": ["1"]}}, origin)
        assert follow["healthy"] is True
        assert server.seen[-1][:4] == ("GET", "/ok", "probe.example.com", "1")
        assert "Cloudflare-Traffic-Manager" in server.seen[-1][4]
        away = _probe_one(emulator, acc, {"description": "away", "path": "/away", "follow_redirects": True}, origin)
        assert away["healthy"] is False and "redirect to 192.0.2.1 refused" in away["failure_reason"]
        head = _probe_one(emulator, acc, {"description": "head", "method": "HEAD", "path": "/ok",
                                          "expected_codes": "2xx"}, origin)
        assert head["healthy"] is True and server.seen[-1][0] == "HEAD"
    finally:
        server.close()


def test_retries_and_consecutive_down(emulator, acc):
    server = _Server(routes={"/": (200, {}, b"ok")}, drop=2)
    try:
        origin = {"name": "o", "address": server.address, "port": server.port}
        assert _probe_one(emulator, acc, {"description": "r1", "retries": 1}, origin)["healthy"] is False
        server.drop = 2
        assert _probe_one(emulator, acc, {"description": "r2", "retries": 2}, origin)["healthy"] is True
        server.routes["/"] = (500, {}, b"")
        mon = raw(emulator, "POST", mon_path(acc), {"description": "cd", "consecutive_down": 2})["result"]
        pool = raw(emulator, "POST", pool_path(acc), {"name": "cd", "monitor": mon["id"],
                                                      "origins": [origin]})["result"]
        states = []
        for _round in range(2):
            report = emulator.control("POST", "/lb/probe", {"pool": pool["id"], "timeout_cap": 1})
            states.append(report["pools"][pool["id"]]["healthy"])
        assert states == [True, False]
    finally:
        server.close()


def test_tcp_and_smtp_probes(emulator, acc):
    listener = socket.socket()
    listener.bind(("127.0.0.6", 0))
    listener.listen(8)
    port = listener.getsockname()[1]

    def serve():
        while True:
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"220 mail.test ESMTP\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        origin = {"name": "o", "address": "127.0.0.6"}
        assert _probe_one(emulator, acc, {"description": "tcp", "type": "tcp", "port": port}, origin)["healthy"]
        assert _probe_one(emulator, acc, {"description": "smtp", "type": "smtp", "port": port}, origin)["healthy"]
        closed = _probe_one(emulator, acc, {"description": "closed", "type": "tcp", "port": 1, "retries": 0}, origin)
        assert closed["healthy"] is False
        icmp = _probe_one(emulator, acc, {"description": "icmp", "type": "icmp_ping"}, origin)
        assert icmp["probed"] is False and "not simulated" in icmp["failure_reason"]
    finally:
        listener.close()


def test_rules_the_evaluator_cannot_read_are_stored_and_skipped(emulator, lb_env):
    zone, pool = lb_env
    body = {"name": "app.example.com", "default_pools": [pool], "fallback_pool": pool, "rules": [
        {"name": "headers", "condition": 'any(http.request.headers["x-canary"][*] == "1")',
         "fixed_response": {"status_code": 418}},
        {"name": "path", "condition": 'http.request.uri.path matches "^/api/" and not ip.src in {10.0.0.0/8}',
         "fixed_response": {"status_code": 503}}]}
    assert raw(emulator, "POST", "/zones/%s/load_balancers" % zone["id"], body)["success"] is True
    answer = emulator.control("POST", "/lb/steer", {"hostname": "app.example.com", "path": "/api/x",
                                                    "client_ip": "192.0.2.7"})
    assert [r["name"] for r in answer["rules_skipped"]] == ["headers"]
    assert answer["fixed_response"] == {"status_code": 503}
    inside = emulator.control("POST", "/lb/steer", {"hostname": "app.example.com", "path": "/api/x",
                                                    "client_ip": "10.1.2.3"})
    assert inside["pool"] == pool and inside["rules"] == []
