"""zone and zone_info against the emulator: results, idempotence, check/diff mode, request counts."""
from __future__ import annotations


def test_create_then_unchanged(emulator, run_module):
    result = run_module("zone", {"name": "Example.COM."})
    assert result["changed"] is True
    zone = result["zone"]
    assert zone["name"] == "example.com"
    assert zone["type"] == "full"
    assert zone["paused"] is False
    assert len(zone["id"]) == 32
    assert zone["name_servers"] == ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]
    assert zone["account"]["id"] == emulator.account_id
    log = emulator.requests()
    assert log["by_route"] == {"GET /zones": 1, "GET /accounts": 1, "POST /zones": 1}

    emulator.clear_requests()
    again = run_module("zone", {"name": "example.com"})
    assert again["changed"] is False
    assert again["zone"]["id"] == zone["id"]
    log = emulator.requests()
    assert log["writes"] == 0
    assert log["total"] == 1


def test_check_mode_and_diff_do_not_write(emulator, run_module):
    result = run_module("zone", {"name": "example.org", "paused": True}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["name"] == "example.org"
    assert result["diff"]["after"]["paused"] is True
    assert emulator.requests()["writes"] == 0
    assert emulator.api("GET", "/zones")["result"] == []


def test_paused_and_type_changes(emulator, run_module):
    zone = emulator.add_zone("example.net")
    result = run_module("zone", {"name": "example.net", "paused": True, "type": "partial"}, diff=True)
    assert result["changed"] is True
    assert result["changed_fields"] == ["paused", "type"]
    assert result["zone"]["paused"] is True
    assert result["zone"]["type"] == "partial"
    assert result["zone"]["verification_key"]
    assert result["diff"]["before"]["paused"] is False
    stored = emulator.api("GET", "/zones/" + zone["id"])["result"]
    assert stored["paused"] is True and stored["type"] == "partial"
    emulator.clear_requests()
    assert run_module("zone", {"name": "example.net", "paused": True, "type": "partial"})["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_create_paused_zone(emulator, run_module):
    result = run_module("zone", {"name": "paused.example", "paused": True})
    assert result["zone"]["paused"] is True
    assert run_module("zone", {"name": "paused.example", "paused": True})["changed"] is False


def test_absent(emulator, run_module):
    emulator.add_zone("gone.example.com")
    check = run_module("zone", {"name": "gone.example.com", "state": "absent"}, check_mode=True)
    assert check["changed"] is True
    assert len(emulator.api("GET", "/zones")["result"]) == 1
    result = run_module("zone", {"name": "gone.example.com", "state": "absent"})
    assert result["changed"] is True
    assert result["zone"] == {}
    assert emulator.api("GET", "/zones")["result"] == []
    assert run_module("zone", {"name": "gone.example.com", "state": "absent"})["changed"] is False


def test_bad_name_fails_before_any_request(emulator, run_module):
    result = run_module("zone", {"name": "not a domain"})
    assert result["failed"] is True
    assert result["msg"].startswith("name: 'not a domain' is not a valid domain name")
    assert emulator.requests()["total"] == 0


def test_missing_credentials_fail_before_any_request(emulator, run_module):
    result = run_module("zone", {"name": "example.com", "api_base_url": emulator.base_url}, credentials=False)
    assert result["failed"] is True
    assert "No Cloudflare credentials" in result["msg"]
    assert emulator.requests()["total"] == 0


def test_key_without_email_is_refused(emulator, run_module):
    result = run_module("zone", {"name": "example.com", "api_key": "some-global-key", "api_base_url": emulator.base_url},
                        credentials=False)
    assert result["failed"] is True
    assert result["msg"] == "api_key and api_email must be given together (or use api_token)"


def test_wrong_token_is_a_clear_error(emulator, run_module):
    result = run_module("zone", {"name": "example.com", "api_token": "wrong"})
    assert result["failed"] is True
    assert result["status"] == 401
    assert result["errors"] == [{"code": 1000, "message": "Invalid API Token"}]
    assert "zone example.com: GET /zones returned HTTP 401: 1000 Invalid API Token" in result["msg"]
    assert "wrong" not in result["msg"]


def test_key_and_email_from_environment(emulator, run_module, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "test-key")
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "ops@example.com")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    result = run_module("zone", {"name": "env.example.com"}, credentials=False)
    assert result["changed"] is True
    assert result["zone"]["name"] == "env.example.com"


def test_token_from_environment_ignores_no_key(emulator, run_module, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", emulator.token)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    assert run_module("zone", {"name": "token.example.com"}, credentials=False)["changed"] is True


def test_create_survives_5xx_after_commit_without_duplicate(emulator, run_module):
    emulator.faults([{"kind": "error_after", "method": "POST", "path": "/zones$", "times": 1, "status": 502}])
    result = run_module("zone", {"name": "retry.example.com", "account_id": emulator.account_id})
    assert result["changed"] is True
    log = emulator.requests()["by_route"]
    zones = emulator.api("GET", "/zones")["result"]
    assert [z["name"] for z in zones] == ["retry.example.com"]
    assert result["zone"]["id"] == zones[0]["id"]
    assert log["POST /zones"] == 1
    assert log["GET /zones"] == 2  # the lookup, then the reconciling re-read


def test_create_retried_after_dropped_connection_before_commit(emulator, run_module):
    emulator.faults([{"kind": "drop_before", "method": "POST", "path": "/zones$", "times": 1}])
    result = run_module("zone", {"name": "drop.example.com", "account_id": emulator.account_id})
    assert result["changed"] is True
    assert [z["name"] for z in emulator.api("GET", "/zones")["result"]] == ["drop.example.com"]
    assert emulator.requests()["by_route"]["POST /zones"] == 2


def test_reads_retry_on_429(emulator, run_module):
    emulator.add_zone("busy.example.com")
    emulator.faults([{"kind": "rate_limit", "method": "GET", "times": 2, "retry_after": 0.01}])
    result = run_module("zone_info", {"name": "busy.example.com"})
    assert [z["name"] for z in result["zones"]] == ["busy.example.com"]
    assert emulator.requests()["by_route"]["GET /zones"] == 3


def test_zone_info_one_all_and_missing(emulator, run_module):
    a = emulator.add_zone("a.example")
    emulator.add_zone("b.example")
    by_name = run_module("zone_info", {"name": "A.example"})
    assert [z["id"] for z in by_name["zones"]] == [a["id"]]
    by_id = run_module("zone_info", {"id": a["id"]})
    assert by_id["zones"][0]["name"] == "a.example"
    everything = run_module("zone_info", {})
    assert [z["name"] for z in everything["zones"]] == ["a.example", "b.example"]
    assert run_module("zone_info", {"name": "missing.example"})["zones"] == []
    assert by_name["changed"] is False


def test_zone_info_reads_each_page_once(emulator, run_module):
    for i in range(120):
        emulator.api("POST", "/zones", {"name": "z%03d.example" % i, "account": {"id": emulator.account_id}})
    emulator.clear_requests()
    result = run_module("zone_info", {})
    assert len(result["zones"]) == 120
    assert len({z["id"] for z in result["zones"]}) == 120
    pages = [r["path"] for r in emulator.requests()["requests"]]
    assert len(pages) == 3  # 50 + 50 + 20: no trailing empty page


def test_api_error_names_the_field(emulator, run_module, monkeypatch):
    from cfemu import core

    def refuse(req, st):
        raise core.CFError(400, 1097, "This zone name is not valid", pointer="/name")
    routes = [(m, t, rx, refuse if (m, t) == ("POST", "/zones") else fn) for m, t, rx, fn in core.ROUTES]
    monkeypatch.setattr(core, "ROUTES", routes)
    result = run_module("zone", {"name": "fine.example", "account_id": emulator.account_id})
    assert result["failed"] is True
    assert result["errors"] == [{"code": 1097, "message": "This zone name is not valid", "field": "/name"}]
    assert "1097 This zone name is not valid (field /name)" in result["msg"]
