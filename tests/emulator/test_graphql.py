"""The emulator's GraphQL Analytics endpoint: spec-shaped answers, errors with HTTP 200, data it has seen."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import cloudflare

DAY_QUERY = """
query Day($zoneTag: string, $since: Date, $until: Date) {
  viewer { zones(filter: {zoneTag: $zoneTag}) {
    series: httpRequests1dGroups(limit: 100, filter: {date_geq: $since, date_leq: $until}, orderBy: [date_ASC]) {
      dimensions { date }
      sum { requests cachedRequests bytes cachedBytes threats pageViews
            countryMap { clientCountryName requests threats } responseStatusMap { edgeResponseStatus requests } }
      uniq { uniques }
    }
  } }
}"""

HOUR_QUERY = """
{ viewer { zones(filter: {zoneTag: "%s"}) {
    httpRequests1hGroups(limit: %d, filter: {datetime_geq: "%s", datetime_leq: "%s"}, orderBy: [%s]) {
      dimensions { datetime } sum { requests } } } } }"""


def post(emulator, body, token=None):
    req = urllib.request.Request(emulator.base_url + "/graphql", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + (token or emulator.token)})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def traffic(emulator, **row):
    return emulator.control("POST", "/analytics/traffic", row)


def quiet_zone(emulator, name="example.com"):
    zone = emulator.add_zone(name)
    emulator.control("POST", "/analytics/baseline", {"enabled": False})
    return zone


def test_day_groups_from_explicit_traffic(emulator):
    zone = quiet_zone(emulator)
    zid = zone["id"]
    traffic(emulator, zone_id=zid, datetime="2024-05-01T10:15:00Z", country="DE", status=200, requests=100,
            cached=40, bytes=10000, cached_bytes=4000, page_views=90, uniques=20)
    traffic(emulator, zone_id=zid, datetime="2024-05-01T23:59:00Z", country="US", status=404, requests=10,
            threats=3, bytes=500, uniques=5)
    traffic(emulator, zone_id=zid, datetime="2024-05-03T00:00:00Z", country="DE", status=200, requests=7, cached=7)
    traffic(emulator, zone_id=zid, datetime="2024-05-04T00:00:00Z", requests=1000)  # outside the range
    status, body = post(emulator, {"query": DAY_QUERY,
                                   "variables": {"zoneTag": zid, "since": "2024-05-01", "until": "2024-05-03"}})
    assert status == 200 and body["errors"] is None
    series = body["data"]["viewer"]["zones"][0]["series"]
    assert [g["dimensions"]["date"] for g in series] == ["2024-05-01", "2024-05-03"]
    first = series[0]
    assert first["sum"]["requests"] == 110 and first["sum"]["cachedRequests"] == 40
    assert first["sum"]["bytes"] == 10500 and first["sum"]["cachedBytes"] == 4000
    assert first["sum"]["threats"] == 3 and first["sum"]["pageViews"] == 90
    assert first["uniq"]["uniques"] == 25
    assert first["sum"]["countryMap"] == [{"clientCountryName": "DE", "requests": 100, "threats": 0},
                                          {"clientCountryName": "US", "requests": 10, "threats": 3}]
    assert first["sum"]["responseStatusMap"] == [{"edgeResponseStatus": 200, "requests": 100},
                                                 {"edgeResponseStatus": 404, "requests": 10}]
    assert series[1]["sum"]["requests"] == 7 and series[1]["sum"]["cachedRequests"] == 7


def test_hour_groups_order_and_limit(emulator):
    zid = quiet_zone(emulator)["id"]
    for hour, count in ((1, 5), (2, 50), (3, 20)):
        traffic(emulator, zone_id=zid, datetime="2024-05-01T%02d:30:00Z" % hour, requests=count)
    status, body = post(emulator, {"query": HOUR_QUERY % (zid, 2, "2024-05-01T00:00:00Z", "2024-05-01T23:00:00Z",
                                                          "sum_requests_DESC")})
    assert status == 200 and body["errors"] is None
    groups = body["data"]["viewer"]["zones"][0]["httpRequests1hGroups"]
    assert [(g["dimensions"]["datetime"], g["sum"]["requests"]) for g in groups] == [
        ("2024-05-01T02:00:00Z", 50), ("2024-05-01T03:00:00Z", 20)]
    status, body = post(emulator, {"query": HOUR_QUERY % (zid, 10, "2024-05-01T02:00:00Z", "2024-05-01T02:00:00Z",
                                                          "datetime_ASC")})
    assert [g["sum"]["requests"] for g in body["data"]["viewer"]["zones"][0]["httpRequests1hGroups"]] == [50]


def test_errors_come_with_http_200_and_a_path(emulator):
    zid = quiet_zone(emulator)["id"]
    bad_field = DAY_QUERY.replace("pageViews", "visits")
    status, body = post(emulator, {"query": bad_field,
                                   "variables": {"zoneTag": zid, "since": "2024-05-01", "until": "2024-05-03"}})
    assert status == 200 and body["data"] is None
    error = body["errors"][0]
    assert "visits" in error["message"]
    assert error["path"] == ["viewer", "zones", 0, "series", "sum", "visits"]
    assert error["extensions"]["code"] and error["extensions"]["timestamp"]
    for query, fragment in (("mutation { x }", "only query operations"), ("{ viewer { zones", "end of query"),
                            ("{ viewer { accounts { x } } }", "unknown field 'accounts'")):
        status, body = post(emulator, {"query": query})
        assert status == 200 and body["data"] is None and fragment in body["errors"][0]["message"], body
    status, body = post(emulator, {"query": HOUR_QUERY % (zid, 10, "2024-05-01T00:00:00Z", "2024-05-05T00:00:00Z",
                                                          "datetime_ASC")})
    assert body["data"] is None and "exceeds the 3 days" in body["errors"][0]["message"]
    status, body = post(emulator, {"query": HOUR_QUERY % ("0" * 32, 10, "2024-05-01T00:00:00Z",
                                                          "2024-05-01T05:00:00Z", "datetime_ASC")})
    assert body["data"] is None and body["errors"][0]["path"] == ["viewer", "zones", 0]


def test_auth_is_checked_like_the_rest(emulator):
    status, body = post(emulator, {"query": "{ viewer { zones(filter: {}) { x } } }"}, token="wrong")
    assert status == 401 and body["success"] is False


def test_sdk_generic_client_posts_to_graphql(emulator):
    zid = quiet_zone(emulator)["id"]
    traffic(emulator, zone_id=zid, datetime="2024-05-01T00:00:00Z", requests=3)
    client = cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)
    try:
        body = client.post("/graphql", cast_to=object, body={
            "query": DAY_QUERY, "variables": {"zoneTag": zid, "since": "2024-05-01", "until": "2024-05-01"}})
    finally:
        client.close()
    assert body["data"]["viewer"]["zones"][0]["series"][0]["sum"]["requests"] == 3


def test_baseline_is_deterministic_and_days_equal_their_hours(emulator):
    zid = emulator.add_zone("example.com")["id"]
    day = (datetime.now(timezone.utc) - timedelta(days=2)).date().isoformat()
    variables = {"zoneTag": zid, "since": day, "until": day}
    first = post(emulator, {"query": DAY_QUERY, "variables": variables})[1]
    again = post(emulator, {"query": DAY_QUERY, "variables": variables})[1]
    assert first == again
    total = first["data"]["viewer"]["zones"][0]["series"][0]["sum"]["requests"]
    assert total > 0
    hours = 0
    for start in ("T00:00:00Z", "T12:00:00Z"):
        end = "T11:00:00Z" if start == "T00:00:00Z" else "T23:00:00Z"
        body = post(emulator, {"query": HOUR_QUERY % (zid, 100, day + start, day + end, "datetime_ASC")})[1]
        groups = body["data"]["viewer"]["zones"][0]["httpRequests1hGroups"]
        assert len(groups) == 12
        hours += sum(g["sum"]["requests"] for g in groups)
    assert hours == total
    future = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
    body = post(emulator, {"query": DAY_QUERY, "variables": {"zoneTag": zid, "since": future, "until": future}})[1]
    assert body["data"]["viewer"]["zones"][0]["series"] == []


def test_load_balancer_steer_answers_are_counted(emulator):
    zone = quiet_zone(emulator)
    pool = emulator.api("POST", "/accounts/%s/load_balancers/pools" % emulator.account_id,
                        {"name": "p", "origins": [{"name": "a", "address": "192.0.2.1"}]})["result"]["id"]
    assert emulator.api("POST", "/zones/%s/load_balancers" % zone["id"],
                        {"name": "app.example.com", "default_pools": [pool], "fallback_pool": pool})["success"]
    for country in ("DE", "DE", "US"):
        assert emulator.control("POST", "/lb/steer", {"hostname": "app.example.com", "country": country})["pool"]
    today = datetime.now(timezone.utc).date().isoformat()
    body = post(emulator, {"query": DAY_QUERY, "variables": {"zoneTag": zone["id"], "since": today,
                                                             "until": today}})[1]
    group = body["data"]["viewer"]["zones"][0]["series"][0]
    assert group["sum"]["requests"] == 3
    assert group["sum"]["countryMap"] == [{"clientCountryName": "DE", "requests": 2, "threats": 0},
                                          {"clientCountryName": "US", "requests": 1, "threats": 0}]
    assert group["sum"]["responseStatusMap"] == [{"edgeResponseStatus": 200, "requests": 3}]
