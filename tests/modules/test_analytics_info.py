"""analytics_info against the emulator's GraphQL endpoint: values, one GraphQL request per task, errors, bad input."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils import analytics

from helpers import ansible_playbook

ROWS = [
    {"datetime": "2024-05-01T10:00:00Z", "country": "DE", "status": 200, "requests": 100, "cached": 60,
     "bytes": 10000, "cached_bytes": 6000, "page_views": 80, "uniques": 30},
    {"datetime": "2024-05-01T11:00:00Z", "country": "US", "status": 404, "requests": 20, "threats": 5,
     "bytes": 2000, "uniques": 10},
    {"datetime": "2024-05-02T08:00:00Z", "country": "US", "status": 200, "requests": 80, "cached": 20,
     "bytes": 8000, "cached_bytes": 2000, "page_views": 70, "uniques": 25},
    {"datetime": "2024-05-02T09:00:00Z", "country": "FR", "status": 503, "requests": 10, "bytes": 100},
    {"datetime": "2024-05-05T00:00:00Z", "country": "DE", "status": 200, "requests": 999},  # outside the range
]


@pytest.fixture
def zone(emulator):
    zone = emulator.add_zone("example.com")
    emulator.control("POST", "/analytics/baseline", {"enabled": False})
    emulator.control("POST", "/analytics/traffic", {"rows": [dict(r, zone_id=zone["id"]) for r in ROWS]})
    emulator.clear_requests()
    return zone


def test_day_totals_series_and_breakdowns(emulator, run_module, zone):
    result = run_module("analytics_info", {"zone": "example.com", "since": "2024-05-01", "until": "2024-05-02",
                                           "breakdowns": ["status_codes", "countries"]})
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["zone"] == {"id": zone["id"], "name": "example.com"}
    assert result["window"] == {"granularity": "day", "dataset": "httpRequests1dGroups", "since": "2024-05-01",
                                "until": "2024-05-02"}
    assert result["totals"] == {"requests": 210, "cached_requests": 80, "cache_ratio": 0.381, "bytes": 20100,
                                "cached_bytes": 8000, "threats": 5, "page_views": 150, "uniques": 65}
    assert result["series"] == [
        {"date": "2024-05-01", "requests": 120, "cached_requests": 60, "cache_ratio": 0.5, "bytes": 12000,
         "cached_bytes": 6000, "threats": 5, "page_views": 80, "uniques": 40},
        {"date": "2024-05-02", "requests": 90, "cached_requests": 20, "cache_ratio": 0.2222, "bytes": 8100,
         "cached_bytes": 2000, "threats": 0, "page_views": 70, "uniques": 25}]
    assert result["status_codes"] == [{"status": 200, "requests": 180}, {"status": 404, "requests": 20},
                                      {"status": 503, "requests": 10}]
    # Most requests first; a tie goes by country code.
    assert result["countries"] == [{"country": "DE", "requests": 100, "threats": 0},
                                   {"country": "US", "requests": 100, "threats": 5},
                                   {"country": "FR", "requests": 10, "threats": 0}]
    log = emulator.requests()
    assert log["by_route"] == {"GET /zones": 1, "POST /graphql": 1}
    sent = [r for r in log["requests"] if r["route"] == "/graphql"]
    assert len(sent) == 1 and sent[0]["status"] == 200


def test_breakdown_limit_and_only_what_is_asked(emulator, run_module, zone):
    result = run_module("analytics_info", {"zone": zone["id"], "since": "2024-05-01", "until": "2024-05-02",
                                           "breakdowns": ["countries"], "limit": 1})
    assert result["countries"] == [{"country": "DE", "requests": 100, "threats": 0}]
    assert "status_codes" not in result
    assert emulator.requests()["by_route"] == {"GET /zones/{zone_id}": 1, "POST /graphql": 1}


def test_hour_series(emulator, run_module, zone):
    result = run_module("analytics_info", {"zone": "example.com", "granularity": "hour",
                                           "since": "2024-05-01T10:20:00Z", "until": "2024-05-02T08:00:00+00:00"})
    assert result["window"]["since"] == "2024-05-01T10:00:00Z"
    assert [(s["datetime"], s["requests"]) for s in result["series"]] == [
        ("2024-05-01T10:00:00Z", 100), ("2024-05-01T11:00:00Z", 20), ("2024-05-02T08:00:00Z", 80)]
    assert result["totals"]["requests"] == 200 and result["totals"]["cache_ratio"] == 0.4
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "POST /graphql": 1}


def test_empty_range_and_check_mode(emulator, run_module, zone):
    result = run_module("analytics_info", {"zone": "example.com", "since": "2024-04-01", "until": "2024-04-30"},
                        check_mode=True)
    assert result["series"] == [] and result["totals"]["requests"] == 0 and result["totals"]["cache_ratio"] == 0.0
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "POST /graphql": 1}


def test_graphql_error_with_http_200_fails_the_task(emulator, run_module, zone, monkeypatch):
    # A larger plan's limit on our side, the emulator's (Free plan) limit on the server's: the API answers 200
    # with errors, and the task must fail with the message and the path.
    monkeypatch.setattr(analytics, "MAX_HOURS", 24 * 10)
    result = run_module("analytics_info", {"zone": "example.com", "granularity": "hour",
                                           "since": "2024-05-01T00:00:00Z", "until": "2024-05-06T00:00:00Z"})
    assert result["failed"] is True
    assert "GraphQL analytics query failed" in result["msg"]
    assert "exceeds the 3 days" in result["msg"]
    assert "(path viewer.zones.0.series)" in result["msg"]
    assert result["errors"][0]["extensions"]["code"]
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "POST /graphql": 1}


def test_server_error_is_retried_as_a_read(emulator, run_module, zone):
    emulator.faults([{"kind": "error_before", "path": "/graphql$", "times": 1, "status": 502}])
    result = run_module("analytics_info", {"zone": "example.com", "since": "2024-05-01", "until": "2024-05-02"})
    assert result["totals"]["requests"] == 210
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "POST /graphql": 2}


def test_http_error_fails_naming_the_call(emulator, run_module, zone):
    emulator.faults([{"kind": "error_before", "path": "/graphql$", "times": 10, "status": 500}])
    result = run_module("analytics_info", {"zone": "example.com", "since": "2024-05-01", "until": "2024-05-02"})
    assert result["failed"] is True and "GraphQL analytics of zone example.com" in result["msg"]


@pytest.mark.parametrize("args, fragment", [
    ({"since": "2024-05-03", "until": "2024-05-01"}, "until: 2024-05-01T00:00:00Z is before since"),
    ({"granularity": "hour", "since": "2024-05-01T00:00:00Z", "until": "2024-05-04T01:00:00Z"},
     "hour granularity covers at most 72 hours"),
    ({"since": "2023-01-01", "until": "2024-05-01"}, "day granularity covers at most 366 days"),
    ({"since": "yesterday"}, "since: 'yesterday' is not an ISO date"),
    ({"since": "2024-02-30"}, "since: '2024-02-30' is not a valid date"),
    ({"limit": 0}, "limit: must be at least 1"),
])
def test_bad_input_fails_before_any_request(emulator, run_module, zone, args, fragment):
    result = run_module("analytics_info", dict(args, zone="example.com"))
    assert result["failed"] is True
    assert fragment in result["msg"], result["msg"]
    assert emulator.requests()["total"] == 0


def test_unknown_zone_fails_without_a_graphql_request(emulator, run_module, zone):
    result = run_module("analytics_info", {"zone": "missing.example"})
    assert result["failed"] is True and "zone missing.example not found" in result["msg"]
    assert emulator.requests()["by_route"] == {"GET /zones": 1}


def test_default_range_reads_the_seeded_baseline(emulator, run_module):
    emulator.add_zone("example.org")
    result = run_module("analytics_info", {"zone": "example.org"})
    assert len(result["series"]) == 8  # the last 7 days and today
    assert result["totals"]["requests"] == sum(s["requests"] for s in result["series"]) > 0
    assert run_module("analytics_info", {"zone": "example.org"})["series"][:7] == result["series"][:7]


def test_counts_what_the_load_balancer_simulation_answered(emulator, run_module, zone):
    pool = emulator.api("POST", "/accounts/%s/load_balancers/pools" % emulator.account_id,
                        {"name": "p", "origins": [{"name": "a", "address": "192.0.2.1"}]})["result"]["id"]
    emulator.api("POST", "/zones/%s/load_balancers" % zone["id"],
                 {"name": "app.example.com", "default_pools": [pool], "fallback_pool": pool})
    for country in ("JP", "JP", "BR"):
        emulator.control("POST", "/lb/steer", {"hostname": "app.example.com", "country": country})
    emulator.clear_requests()
    result = run_module("analytics_info", {"zone": "example.com", "since": "-1d", "breakdowns": ["countries"]})
    assert result["totals"]["requests"] == 3
    assert result["countries"] == [{"country": "JP", "requests": 2, "threats": 0},
                                   {"country": "BR", "requests": 1, "threats": 0}]
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "POST /graphql": 1}


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/websoft9.cloudflare.cloudflare:
      api_token: "%(token)s"
      api_base_url: "%(base)s"
  tasks:
    - name: traffic in check mode, through the action group
      websoft9.cloudflare.analytics_info:
        zone: example.com
        since: "2024-05-01"
        until: "2024-05-02"
        breakdowns: [status_codes]
      check_mode: true
      register: traffic
    - name: keep it
      ansible.builtin.copy:
        content: "{{ traffic | to_json }}"
        dest: "%(out)s"
        mode: "0600"
"""


def test_through_ansible_playbook(emulator, zone, tmp_path):
    out = tmp_path / "traffic.json"
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK % {"token": emulator.token, "base": emulator.base_url, "out": out})
    run = ansible_playbook(["-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
                            playbook], timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    traffic = json.loads(out.read_text())
    assert traffic["changed"] is False and traffic["totals"]["requests"] == 210
    assert traffic["status_codes"][0] == {"status": 200, "requests": 180}
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "POST /graphql": 1}


# --- pure helpers ----------------------------------------------------------------------------------------------------
NOW = datetime(2024, 5, 10, 12, 34, 56, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("now", "2024-05-10T12:34:56Z"), ("-7d", "2024-05-03T12:34:56Z"), ("-12h", "2024-05-10T00:34:56Z"),
    ("-30m", "2024-05-10T12:04:56Z"), ("-1w", "2024-05-03T12:34:56Z"), ("2024-05-01", "2024-05-01T00:00:00Z"),
    ("2024-05-01T10:00:00+02:00", "2024-05-01T08:00:00Z"), ("2024-05-01T10:00:00", "2024-05-01T10:00:00Z"),
])
def test_parse_time(text, expected):
    assert analytics.parse_time(text, NOW, "since").strftime("%Y-%m-%dT%H:%M:%SZ") == expected


def test_query_is_built_from_options():
    window = analytics.plan({"granularity": "hour", "since": "-3h", "breakdowns": ["status_codes"]}, now=NOW)
    assert window["since"] == "2024-05-10T09:00:00Z" and window["until"] == "2024-05-10T12:00:00Z"
    assert window["periods"] == 4
    query, variables = analytics.build_query("z" * 32, window)
    assert "httpRequests1hGroups(limit: $limit, filter: {datetime_geq: $since, datetime_leq: $until}" in query
    assert "responseStatusMap" in query and "countryMap" not in query
    assert variables == {"zoneTag": "z" * 32, "since": "2024-05-10T09:00:00Z", "until": "2024-05-10T12:00:00Z",
                         "limit": 4}
    day = analytics.plan({}, now=NOW)
    assert (day["since"], day["until"], day["periods"]) == ("2024-05-03", "2024-05-10", 8)
    query, _variables = analytics.build_query("z" * 32, day)
    assert "httpRequests1dGroups" in query and "date_geq: $since" in query and "Map" not in query


def test_graphql_error_messages():
    assert analytics.graphql_error({"data": {"viewer": {"zones": [{"series": []}]}}, "errors": None}) is None
    assert analytics.graphql_error({"data": None, "errors": [{"message": "boom", "path": ["viewer", "zones", 0]}]}) \
        == "GraphQL analytics query failed: boom (path viewer.zones.0)"
    assert "neither data nor errors" in analytics.graphql_error({"data": None, "errors": []})
    assert "Analytics Read" in analytics.graphql_error({"data": {"viewer": {"zones": []}}, "errors": None})
