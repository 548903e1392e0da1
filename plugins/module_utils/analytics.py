# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GraphQL Analytics for analytics_info: time options, the query built from them, and the shaped result.

Pure functions (no I/O), so they are unit-testable. The datasets are ``httpRequests1dGroups`` (per day, filter
``date_geq``/``date_leq``) and ``httpRequests1hGroups`` (per hour, filter ``datetime_geq``/``datetime_leq``) under
``viewer.zones(filter: {zoneTag})``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

DATASETS = {"day": "httpRequests1dGroups", "hour": "httpRequests1hGroups"}
# The widest range one query may cover, checked before any request. These are the Free plan's node limits as far
# as they are known (1d groups: a year; 1h groups: 3 days); larger plans allow more, never less.
MAX_DAYS = 366
MAX_HOURS = 72
MAX_PERIODS = 10000
BREAKDOWNS = ("status_codes", "countries")
RELATIVE = re.compile(r"^-\s*(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class AnalyticsInputError(ValueError):
    def __init__(self, field, message):
        super().__init__("%s: %s" % (field, message))
        self.field = field


def parse_time(value, now, field):
    """A timezone-aware UTC datetime from an ISO date, an ISO datetime, ``now`` or a relative ``-7d`` (m h d w)."""
    text = str(value).strip()
    if text.lower() == "now":
        return now
    found = RELATIVE.match(text.lower())
    if found:
        return now - timedelta(**{UNITS[found.group(2)]: int(found.group(1))})
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        try:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=timezone.utc)
        except ValueError as exc:
            raise AnalyticsInputError(field, "%r is not a valid date (%s)" % (text, exc)) from None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise AnalyticsInputError(field, "%r is not an ISO date (2024-05-01), an ISO datetime "
                                         "(2024-05-01T10:00:00Z), now, or a relative time like -7d, -12h, -30m, -2w"
                                  % text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def plan(params, now=None):
    """Validated time window from the module options; raises AnalyticsInputError naming the option."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    granularity = params.get("granularity") or "day"
    if granularity not in DATASETS:
        raise AnalyticsInputError("granularity", "must be day or hour, not %r" % granularity)
    since_text = params.get("since") or ("-7d" if granularity == "day" else "-24h")
    since = parse_time(since_text, now, "since")
    until = parse_time(params.get("until") or "now", now, "until")
    if until < since:
        raise AnalyticsInputError("until", "%s is before since (%s)" % (_iso(until), _iso(since)))
    limit = params.get("limit")
    if limit is not None and limit < 1:
        raise AnalyticsInputError("limit", "must be at least 1, not %s" % limit)
    breakdowns = list(params.get("breakdowns") or [])
    for name in breakdowns:
        if name not in BREAKDOWNS:
            raise AnalyticsInputError("breakdowns", "%r is not one of %s" % (name, ", ".join(BREAKDOWNS)))
    if granularity == "day":
        first, last = since.date(), until.date()
        periods = (last - first).days + 1
        if periods > MAX_DAYS:
            raise AnalyticsInputError("since", "day granularity covers at most %d days per query; %s to %s is %d "
                                      "days" % (MAX_DAYS, first, last, periods))
        start, end = first.isoformat(), last.isoformat()
    else:
        since = since.replace(minute=0, second=0)
        until = until.replace(minute=0, second=0)
        hours = int((until - since).total_seconds() // 3600)
        if hours > MAX_HOURS:
            raise AnalyticsInputError("since", "hour granularity covers at most %d hours (3 days) per query; %s to "
                                      "%s is %d hours (use granularity day for longer ranges)"
                                      % (MAX_HOURS, _iso(since), _iso(until), hours))
        periods = hours + 1
        start, end = _iso(since), _iso(until)
    return {"granularity": granularity, "dataset": DATASETS[granularity], "since": start, "until": end,
            "periods": min(periods, MAX_PERIODS), "breakdowns": breakdowns, "limit": limit}


def _iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_query(zone_id, window):
    """(query, variables) for one zone and window: only the fields the options ask for."""
    day = window["granularity"] == "day"
    dimension = "date" if day else "datetime"
    maps = []
    if "countries" in window["breakdowns"]:
        maps.append("countryMap { clientCountryName requests threats }")
    if "status_codes" in window["breakdowns"]:
        maps.append("responseStatusMap { edgeResponseStatus requests }")
    query = (
        "query ZoneTraffic($zoneTag: string, $since: %(type)s, $until: %(type)s, $limit: uint64) {"
        " viewer { zones(filter: {zoneTag: $zoneTag}) {"
        " series: %(dataset)s(limit: $limit, filter: {%(dim)s_geq: $since, %(dim)s_leq: $until},"
        " orderBy: [%(dim)s_ASC]) {"
        " dimensions { %(dim)s }"
        " sum { requests cachedRequests bytes cachedBytes threats pageViews%(maps)s }"
        " uniq { uniques } } } } }"
    ) % {"type": "Date" if day else "Time", "dataset": window["dataset"], "dim": dimension,
         "maps": "".join(" " + m for m in maps)}
    variables = {"zoneTag": zone_id, "since": window["since"], "until": window["until"],
                 "limit": window["periods"]}
    return query, variables


def graphql_error(response):
    """A failure message when the GraphQL answer carries errors (even with HTTP 200), else None."""
    if not isinstance(response, dict):
        return "GraphQL analytics: the answer is not a JSON object"
    errors = response.get("errors")
    if errors:
        parts = []
        for error in errors if isinstance(errors, list) else [errors]:
            if isinstance(error, dict):
                path = error.get("path")
                where = " (path %s)" % ".".join(str(p) for p in path) if path else ""
                parts.append("%s%s" % (error.get("message") or "unknown error", where))
            else:
                parts.append(str(error))
        return "GraphQL analytics query failed: " + "; ".join(parts)
    if not isinstance(response.get("data"), dict):
        return "GraphQL analytics: the answer has neither data nor errors"
    if not ((response["data"].get("viewer") or {}).get("zones")):
        # Cloudflare answers an empty zones list for a zone the token may not read analytics of.
        return ("GraphQL analytics: no data for the zone (does the token have the Analytics Read permission on "
                "it?)")
    return None


def _ratio(part, whole):
    return round(float(part) / whole, 4) if whole else 0.0


def shape(response, window):
    """totals, series and breakdowns from a successful answer."""
    zones = ((response.get("data") or {}).get("viewer") or {}).get("zones") or []
    groups = (zones[0].get("series") if zones else None) or []
    key = "date" if window["granularity"] == "day" else "datetime"
    metrics = (("requests", "requests"), ("cached_requests", "cachedRequests"), ("bytes", "bytes"),
               ("cached_bytes", "cachedBytes"), ("threats", "threats"), ("page_views", "pageViews"))
    totals = dict((name, 0) for name, _field in metrics)
    totals["uniques"] = 0
    series = []
    countries, statuses = {}, {}
    for group in groups:
        sums = group.get("sum") or {}
        item = {key: (group.get("dimensions") or {}).get(key)}
        for name, field in metrics:
            item[name] = int(sums.get(field) or 0)
            totals[name] += item[name]
        item["uniques"] = int((group.get("uniq") or {}).get("uniques") or 0)
        totals["uniques"] += item["uniques"]
        item["cache_ratio"] = _ratio(item["cached_requests"], item["requests"])
        series.append(item)
        for entry in sums.get("countryMap") or []:
            country = countries.setdefault(entry.get("clientCountryName"), {"requests": 0, "threats": 0})
            country["requests"] += int(entry.get("requests") or 0)
            country["threats"] += int(entry.get("threats") or 0)
        for entry in sums.get("responseStatusMap") or []:
            code = entry.get("edgeResponseStatus")
            statuses[code] = statuses.get(code, 0) + int(entry.get("requests") or 0)
    series.sort(key=lambda s: s[key] or "")
    totals["cache_ratio"] = _ratio(totals["cached_requests"], totals["requests"])
    result = {"totals": totals, "series": series}
    limit = window.get("limit")
    if "countries" in window["breakdowns"]:
        rows = [{"country": c, "requests": v["requests"], "threats": v["threats"]} for c, v in countries.items()]
        rows.sort(key=lambda r: (-r["requests"], str(r["country"])))
        result["countries"] = rows[:limit] if limit else rows
    if "status_codes" in window["breakdowns"]:
        rows = [{"status": s, "requests": n} for s, n in statuses.items()]
        rows.sort(key=lambda r: (-r["requests"], str(r["status"])))
        result["status_codes"] = rows[:limit] if limit else rows
    return result
