"""The emulator's envelope, auth, paging, control API and faults, as the official SDK sees them."""
from __future__ import annotations

import subprocess
import sys
import time

import cloudflare
import pytest


@pytest.fixture
def sdk(emulator):
    return cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)


def test_token_verify_and_accounts(emulator, sdk):
    verify = sdk.user.tokens.verify()
    assert verify.status == "active"
    accounts = list(sdk.accounts.list())
    assert [a.id for a in accounts] == [emulator.account_id]
    assert accounts[0].name == "Websoft9 Demo"


def test_wrong_token_is_refused_with_cloudflare_codes(emulator):
    bad = cloudflare.Cloudflare(api_token="nope", base_url=emulator.base_url, max_retries=0)
    with pytest.raises(cloudflare.AuthenticationError) as caught:
        bad.zones.list()
    assert caught.value.status_code == 401
    assert caught.value.body["errors"] == [{"code": 1000, "message": "Invalid API Token"}]
    assert caught.value.body["success"] is False


def test_key_and_email_auth(emulator):
    sdk = cloudflare.Cloudflare(api_key="test-key", api_email="ops@example.com", base_url=emulator.base_url,
                                max_retries=0)
    assert sdk.user.tokens.verify().status == "active"
    wrong = cloudflare.Cloudflare(api_key="other", api_email="ops@example.com", base_url=emulator.base_url,
                                  max_retries=0)
    with pytest.raises(cloudflare.PermissionDeniedError):
        wrong.user.tokens.verify()


def test_missing_auth_header(emulator):
    body = emulator.api("GET", "/zones")  # authorised
    assert body["success"] is True
    import urllib.request
    import urllib.error
    import json
    try:
        urllib.request.urlopen(emulator.base_url + "/zones", timeout=5)
    except urllib.error.HTTPError as err:
        assert err.code == 400
        assert json.loads(err.read())["errors"] == [{"code": 1001, "message": 'Missing "Authorization" header'}]
    else:
        raise AssertionError("an unauthenticated request was accepted")


def test_ips_need_no_auth(emulator):
    sdk = cloudflare.Cloudflare(api_token="irrelevant", base_url=emulator.base_url, max_retries=0)
    ips = sdk.ips.list()
    assert "173.245.48.0/20" in ips.ipv4_cidrs
    assert "2606:4700::/32" in ips.ipv6_cidrs
    assert ips.etag


def test_unknown_route_and_method(emulator):
    body = emulator.api("GET", "/nothing/here")
    assert body["errors"][0]["code"] == 7003
    assert emulator.api("PUT", "/zones", {})["errors"][0]["code"] == 10405


def test_sdk_pager_stops_on_the_empty_page(emulator, sdk):
    for i in range(7):
        sdk.zones.create(account={"id": emulator.account_id}, name="p%d.example" % i)
    emulator.clear_requests()
    names = [z.name for z in sdk.zones.list(per_page=5)]
    assert names == ["p%d.example" % i for i in range(7)]
    pages = [r["path"] for r in emulator.requests()["requests"]]
    assert len(pages) == 3  # 5, 2, then the empty page the SDK needs to stop
    page = sdk.zones.list(per_page=5, page=3)
    assert page.result == []
    assert page.result_info.total_count == 7
    assert page.result_info.total_pages == 2


def test_request_log_counts_by_route_and_method(emulator, sdk):
    zone = sdk.zones.create(account={"id": emulator.account_id}, name="log.example")
    sdk.zones.get(zone_id=zone.id)
    sdk.zones.get(zone_id=zone.id)
    log = emulator.requests()
    assert log["by_route"] == {"POST /zones": 1, "GET /zones/{zone_id}": 2}
    assert log["by_method"] == {"POST": 1, "GET": 2}
    assert log["writes"] == 1
    assert log["total"] == 3


def test_fault_rate_limit_then_success(emulator):
    emulator.faults([{"kind": "rate_limit", "times": 2, "retry_after": 0.01}])
    sdk = cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=2)
    assert sdk.user.tokens.verify().status == "active"
    statuses = [r["status"] for r in emulator.requests()["requests"]]
    assert statuses == [429, 429, 200]


def test_fault_error_after_commits_the_write(emulator, sdk):
    emulator.faults([{"kind": "error_after", "method": "POST", "times": 1, "status": 503}])
    with pytest.raises(cloudflare.InternalServerError):
        sdk.zones.create(account={"id": emulator.account_id}, name="committed.example")
    assert [z.name for z in sdk.zones.list()] == ["committed.example"]


def test_fault_error_before_does_not_commit(emulator, sdk):
    emulator.faults([{"kind": "error_before", "method": "POST", "times": 1}])
    with pytest.raises(cloudflare.InternalServerError):
        sdk.zones.create(account={"id": emulator.account_id}, name="lost.example")
    assert list(sdk.zones.list()) == []


def test_fault_drop_closes_the_connection(emulator, sdk):
    emulator.faults([{"kind": "drop_after", "method": "POST", "times": 1}])
    with pytest.raises(cloudflare.APIConnectionError):
        sdk.zones.create(account={"id": emulator.account_id}, name="dropped.example")
    assert [z.name for z in sdk.zones.list()] == ["dropped.example"]


def test_fault_probability_is_reproducible(emulator):
    def run():
        emulator.reset()
        emulator.faults([{"kind": "error_before", "probability": 0.3, "seed": 7}])
        return [emulator.api("GET", "/user/tokens/verify")["success"] for _attempt in range(30)]
    first, second = run(), run()
    assert first == second
    assert 3 <= first.count(False) <= 15


def test_latency_fault(emulator):
    emulator.faults([{"kind": "latency", "latency_ms": 120}])
    started = time.monotonic()
    emulator.api("GET", "/user/tokens/verify")
    assert time.monotonic() - started >= 0.12


def test_state_file_survives_a_restart(tmp_path):
    from cfemu.core import Emulator, State
    path = str(tmp_path / "state.json")
    first = Emulator(State(state_file=path))
    status, _headers, _body = first.handle("POST", "/client/v4/zones", {"Authorization": "Bearer emulator-token"},
                                           b'{"name": "kept.example", "account": {"id": "%s"}}' % first.state.account_id.encode())
    assert status == 200
    second = Emulator(State(state_file=path))
    assert [z["name"] for z in second.state.data["zones"].values()] == ["kept.example"]


def test_process_starts_fast_and_answers(tmp_path):
    import socket
    import urllib.request
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "cfemu", "--port", str(port)], cwd=str(tmp_path),
                            env={"PYTHONPATH": __file__.rsplit("/", 1)[0]}, stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert "cfemu listening on http://127.0.0.1:%d/client/v4" % port in line
        with urllib.request.urlopen("http://127.0.0.1:%d/client/v4/ips" % port, timeout=5) as resp:
            assert resp.status == 200
        assert time.monotonic() - started < 1.0
    finally:
        proc.terminate()
        proc.wait(5)
