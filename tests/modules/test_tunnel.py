"""tunnel against the emulator: create, ingress (camelCase on the wire), token, DNS CNAMEs, idempotence, delete."""
from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils import client as client_mod

INGRESS = [
    {"hostname": "App.example.com", "service": "http://localhost:8080"},
    {"hostname": "admin.example.com", "path": "^/api/", "service": "https://localhost:8443",
     "origin_request": {"no_tls_verify": True, "connect_timeout": 10, "http_host_header": "admin.internal",
                        "match_sni_to_host": True,
                        "access": {"aud_tag": ["aud1"], "team_name": "websoft9", "required": True}}},
    {"hostname": "ssh.example.com", "service": "ssh://localhost:22"},
    {"service": "http_status:404"},
]


@pytest.fixture
def sent(monkeypatch):
    bodies = []
    original = client_mod.CloudflareClient._send

    def spy(self, method, path, body=None, **kwargs):
        bodies.append({"method": method, "path": path, "body": body})
        return original(self, method, path, body=body, **kwargs)
    monkeypatch.setattr(client_mod.CloudflareClient, "_send", spy)
    return bodies


def base(**extra):
    args = {"name": "web1"}
    args.update(extra)
    return args


def tunnels(emulator, deleted=None):
    path = "/accounts/%s/cfd_tunnel" % emulator.account_id
    if deleted is not None:
        path += "?is_deleted=%s" % str(deleted).lower()
    return emulator.api("GET", path)["result"]


def test_create_with_ingress_then_unchanged(emulator, run_module, sent):
    result = run_module("tunnel", base(ingress=INGRESS, account_id=emulator.account_id), diff=True)
    assert result["changed"] is True, result
    assert result["changed_fields"] == ["tunnel", "config"]
    t = result["tunnel"]
    assert t["name"] == "web1" and t["config_src"] == "cloudflare" and t["status"] == "inactive"
    assert t["cname_target"] == t["id"] + ".cfargotunnel.com"
    assert t["config_version"] == 1
    assert t["ingress"][0] == {"hostname": "app.example.com", "service": "http://localhost:8080"}
    assert t["ingress"][1]["origin_request"]["access"] == {"aud_tag": ["aud1"], "team_name": "websoft9",
                                                           "required": True}
    assert "token" not in result
    assert emulator.requests()["by_route"] == {
        "GET /accounts/{account_id}/cfd_tunnel": 1, "POST /accounts/{account_id}/cfd_tunnel": 1,
        "PUT /accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations": 1}
    assert result["diff"]["before"] == {} and result["diff"]["after"]["id"] == t["id"]

    put = [s for s in sent if s["method"] == "PUT"][0]["body"]
    assert put["config"]["ingress"][1] == {
        "hostname": "admin.example.com", "path": "^/api/", "service": "https://localhost:8443",
        "originRequest": {"noTLSVerify": True, "connectTimeout": 10, "httpHostHeader": "admin.internal",
                          "matchSNItoHost": True, "access": {"audTag": ["aud1"], "teamName": "websoft9",
                                                             "required": True}}}
    assert put["config"]["ingress"][-1] == {"service": "http_status:404"}
    post = [s for s in sent if s["method"] == "POST"][0]["body"]
    assert post == {"name": "web1", "config_src": "cloudflare"}

    emulator.clear_requests()
    again = run_module("tunnel", base(ingress=INGRESS, account_id=emulator.account_id))
    assert again["changed"] is False, again
    assert again["changed_fields"] == []
    log = emulator.requests()
    assert log["writes"] == 0
    assert log["by_route"] == {"GET /accounts/{account_id}/cfd_tunnel": 1,
                               "GET /accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations": 1}


def test_ingress_change_bumps_version_and_keeps_unmanaged_keys(emulator, run_module):
    first = run_module("tunnel", base(ingress=INGRESS))
    tid = first["tunnel"]["id"]
    path = "/accounts/%s/cfd_tunnel/%s/configurations" % (emulator.account_id, tid)
    stored = emulator.api("GET", path)["result"]["config"]
    stored["warp-routing"] = {"enabled": True}
    emulator.state.data["cfd_tunnels"][emulator.account_id][tid]["configuration"]["config"] = stored
    changed = run_module("tunnel", base(ingress=[{"hostname": "app.example.com", "service": "http://localhost:9090"},
                                                 {"service": "http_status:404"}],
                                        origin_request={"connect_timeout": "30s"}), diff=True)
    assert changed["changed_fields"] == ["config"]
    assert changed["tunnel"]["config_version"] == 2
    assert changed["diff"]["before"]["ingress"][0]["service"] == "http://localhost:8080"
    assert changed["diff"]["after"]["origin_request"] == {"connect_timeout": 30}
    config = emulator.api("GET", path)["result"]["config"]
    assert config["warp-routing"] == {"enabled": True}
    assert config["originRequest"] == {"connectTimeout": 30}
    assert len(config["ingress"]) == 2


def test_check_mode_does_not_write(emulator, run_module):
    result = run_module("tunnel", base(ingress=INGRESS, return_token=True), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["tunnel"]["id"] is None and result["token"] is None
    assert result["diff"]["after"]["ingress"][0]["hostname"] == "app.example.com"
    assert emulator.requests()["writes"] == 0
    assert tunnels(emulator) == []
    run_module("tunnel", base(ingress=INGRESS))
    emulator.clear_requests()
    change = run_module("tunnel", base(ingress=INGRESS[2:]), check_mode=True)
    assert change["changed_fields"] == ["config"]
    assert emulator.requests()["writes"] == 0


def test_token_only_when_asked_and_secret_rotation(emulator, run_module):
    secret = base64.b64encode(b"s" * 32).decode()
    result = run_module("tunnel", base(tunnel_secret=secret, return_token=True))
    assert result["changed"] is True
    token = json.loads(base64.b64decode(result["token"]))
    assert token == {"a": emulator.account_id, "t": result["tunnel"]["id"], "s": secret}
    assert secret not in json.dumps(result["tunnel"])
    emulator.clear_requests()
    same = run_module("tunnel", base(tunnel_secret=secret))
    assert same["changed"] is False and "token" not in same
    assert emulator.requests()["writes"] == 0
    other = base64.b64encode(b"t" * 40).decode()
    rotated = run_module("tunnel", base(tunnel_secret=other, return_token=True), diff=True)
    assert rotated["changed_fields"] == ["tunnel_secret"]
    assert json.loads(base64.b64decode(rotated["token"]))["s"] == other
    assert other not in json.dumps(rotated["diff"]) and secret not in json.dumps(rotated["diff"])
    assert emulator.requests()["by_route"]["PATCH /accounts/{account_id}/cfd_tunnel/{tunnel_id}"] == 1


def test_local_tunnel_without_ingress(emulator, run_module):
    result = run_module("tunnel", base(config_src="local"))
    assert result["tunnel"]["config_src"] == "local"
    assert "ingress" not in result["tunnel"]
    emulator.clear_requests()
    assert run_module("tunnel", base())["changed"] is False
    assert emulator.requests()["by_route"] == {"GET /accounts": 1, "GET /accounts/{account_id}/cfd_tunnel": 1}
    refused = run_module("tunnel", base(config_src="cloudflare"))
    assert refused["failed"] is True and "cannot become cloudflare" in refused["msg"]
    refused = run_module("tunnel", base(ingress=INGRESS))
    assert refused["failed"] is True and "locally managed" in refused["msg"]


@pytest.mark.parametrize("extra, message", [
    ({"ingress": [{"hostname": "a.example.com", "service": "http://x"}]}, "the last rule must be a catch-all"),
    ({"ingress": [{"service": "http://x"}, {"service": "http_status:404"}]}, "ingress[0].hostname: required"),
    ({"ingress": [{"hostname": "a.example.com", "service": "ftp://x"}, {"service": "http_status:404"}]},
     "ingress[0].service: 'ftp://x' is not a service cloudflared understands"),
    ({"ingress": [{"service": "http_status:99"}]}, "is not a service"),
    ({"ingress": [{"service": "http_status:700"}]}, "not an HTTP status between 100 and 599"),
    ({"ingress": [{"hostname": "bad host", "service": "http://x"}, {"service": "hello_world"}]},
     "ingress[0].hostname: 'bad host' is not a valid hostname"),
    ({"ingress": [{"hostname": "a.example.com", "service": "http://x", "origin_request": {"no_tls": True}},
                  {"service": "hello_world"}]}, "ingress[0].origin_request: unknown option 'no_tls'"),
    ({"ingress": [{"hostname": "a.example.com", "service": "http://x",
                   "origin_request": {"connect_timeout": "soon"}}, {"service": "hello_world"}]},
     "connect_timeout must be a whole number of seconds"),
    ({"ingress": [{"hostname": "a.example.com", "path": "([", "service": "http://x"}, {"service": "hello_world"}]},
     "ingress[0].path"),
    ({"ingress": [{"service": "hello_world"}], "config_src": "local"}, "ingress: needs config_src cloudflare"),
    ({"tunnel_secret": "c2hvcnQ="}, "tunnel_secret: must encode at least 32 bytes"),
    ({"tunnel_secret": "***"}, "tunnel_secret: must be base64"),
    ({"ingress": [{"hostname": "a.other.net", "service": "http://x"}, {"service": "hello_world"}], "dns": True,
      "zone": "example.com"}, "hostname a.other.net is not in zone example.com"),
    ({"dns": True}, "zone: required with dns=true"),
    ({"origin_request": {"no_tls_verify": True}}, "origin_request: only managed together with ingress"),
])
def test_bad_input_refused_before_any_request(emulator, run_module, extra, message):
    result = run_module("tunnel", base(**extra))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert emulator.requests()["total"] == 0


def test_dns_records_created_corrected_removed(emulator, run_module):
    zone = emulator.add_zone("example.com")
    records = "/zones/%s/dns_records" % zone["id"]
    emulator.api("POST", records, {"type": "CNAME", "name": "ssh.example.com", "content": "old.example.net",
                                   "proxied": False, "ttl": 1})
    emulator.clear_requests()
    result = run_module("tunnel", base(ingress=INGRESS, dns=True, zone="example.com"), diff=True)
    assert result["changed_fields"] == ["tunnel", "config", "dns"], result
    by_route = emulator.requests()["by_route"]
    target = result["tunnel"]["cname_target"]
    got = {r["name"]: r for r in emulator.api("GET", records)["result"]}
    assert set(got) == {"app.example.com", "admin.example.com", "ssh.example.com"}
    assert all(r["content"] == target and r["proxied"] is True and r["type"] == "CNAME" for r in got.values())
    assert [r["name"] for r in result["dns_records"]] == ["admin.example.com", "app.example.com", "ssh.example.com"]
    assert by_route["POST /zones/{zone_id}/dns_records"] == 2
    assert by_route["PUT /zones/{zone_id}/dns_records/{dns_record_id}"] == 1
    assert by_route["GET /zones/{zone_id}/dns_records"] == 3

    emulator.clear_requests()
    again = run_module("tunnel", base(ingress=INGRESS, dns=True, zone="example.com"))
    assert again["changed"] is False, again
    assert emulator.requests()["writes"] == 0

    smaller = run_module("tunnel", base(ingress=[INGRESS[0], INGRESS[-1]], dns=True, zone=zone["id"]))
    assert smaller["changed_fields"] == ["config", "dns"]
    assert [r["name"] for r in emulator.api("GET", records)["result"]] == ["app.example.com"]


def test_dns_conflict_fails_before_any_write(emulator, run_module):
    zone = emulator.add_zone("example.com")
    emulator.api("POST", "/zones/%s/dns_records" % zone["id"],
                 {"type": "A", "name": "app.example.com", "content": "192.0.2.1", "ttl": 1})
    emulator.clear_requests()
    result = run_module("tunnel", base(ingress=INGRESS, dns=True, zone="example.com"))
    assert result["failed"] is True
    assert "app.example.com already has A record(s)" in result["msg"]
    assert emulator.requests()["writes"] == 0


def test_absent_deletes_tunnel_connections_and_dns(emulator, run_module):
    emulator.add_zone("example.com")
    created = run_module("tunnel", base(ingress=INGRESS, dns=True, zone="example.com"))
    tid = created["tunnel"]["id"]
    emulator.control("POST", "/tunnels/%s/connect" % tid)
    check = run_module("tunnel", base(state="absent", dns=True, zone="example.com"), check_mode=True)
    assert check["changed"] is True
    assert len(tunnels(emulator, deleted=False)) == 1
    emulator.clear_requests()
    gone = run_module("tunnel", base(state="absent", dns=True, zone="example.com"), diff=True)
    assert gone["changed_fields"] == ["tunnel", "dns"]
    assert len(gone["diff"]["before"]["dns_records"]) == 3
    by_route = emulator.requests()["by_route"]
    assert by_route["DELETE /accounts/{account_id}/cfd_tunnel/{tunnel_id}/connections"] == 1
    assert by_route["DELETE /accounts/{account_id}/cfd_tunnel/{tunnel_id}"] == 1
    assert by_route["DELETE /zones/{zone_id}/dns_records/{dns_record_id}"] == 3
    assert tunnels(emulator, deleted=False) == []
    assert [t["id"] for t in tunnels(emulator, deleted=True)] == [tid]
    zone_id = emulator.state.data["zones"] and next(iter(emulator.state.data["zones"]))
    assert emulator.api("GET", "/zones/%s/dns_records" % zone_id)["result"] == []
    emulator.clear_requests()
    assert run_module("tunnel", base(state="absent"))["changed"] is False
    assert emulator.requests()["writes"] == 0
    recreated = run_module("tunnel", base())
    assert recreated["changed"] is True and recreated["tunnel"]["id"] != tid


def test_create_is_reconciled_after_ambiguous_failure(emulator, run_module):
    emulator.faults([{"kind": "error_after", "method": "POST", "path": "/cfd_tunnel$", "times": 1, "status": 502}])
    result = run_module("tunnel", base(ingress=INGRESS))
    assert result["changed"] is True, result
    assert len(tunnels(emulator)) == 1
    assert emulator.requests()["by_route"]["POST /accounts/{account_id}/cfd_tunnel"] == 1


def test_tunnel_info(emulator, run_module):
    acc = {"account_id": emulator.account_id}
    web = run_module("tunnel", base(ingress=INGRESS, **acc))["tunnel"]
    local = run_module("tunnel", {"name": "local1", "config_src": "local", "account_id": emulator.account_id})
    run_module("tunnel", {"name": "gone", "account_id": emulator.account_id})
    run_module("tunnel", {"name": "gone", "state": "absent", "account_id": emulator.account_id})
    emulator.control("POST", "/tunnels/%s/connect" % web["id"])
    emulator.clear_requests()
    everything = run_module("tunnel_info", dict(configuration=True, connectors=True, **acc))
    assert everything["changed"] is False
    assert [t["name"] for t in everything["tunnels"]] == ["web1", "local1"]
    first = everything["tunnels"][0]
    assert first["status"] == "healthy" and first["cname_target"] == web["id"] + ".cfargotunnel.com"
    assert first["ingress"][0] == {"hostname": "app.example.com", "service": "http://localhost:8080"}
    assert first["config_version"] == 1
    assert len(first["connectors"]) == 1 and len(first["connectors"][0]["conns"]) == 1
    assert "ingress" not in everything["tunnels"][1] and everything["tunnels"][1]["connectors"] == []
    # one list, one configuration (remotely managed only), one connectors read (only the connected tunnel)
    assert emulator.requests()["total"] == 3
    by_name = run_module("tunnel_info", dict(name="local1", **acc))
    assert [t["id"] for t in by_name["tunnels"]] == [local["tunnel"]["id"]]
    by_id = run_module("tunnel_info", dict(id=web["id"], **acc))
    assert [t["name"] for t in by_id["tunnels"]] == ["web1"]
    deleted = run_module("tunnel_info", dict(include_deleted=True, name="gone", **acc))
    assert len(deleted["tunnels"]) == 1 and deleted["tunnels"][0]["deleted_at"]
    assert run_module("tunnel_info", dict(name="gone", **acc))["tunnels"] == []
