"""GraphQL Analytics: POST /client/v4/graphql for the zone datasets httpRequests1dGroups and httpRequests1hGroups.

Answers follow the GraphQL spec, not the v4 envelope: HTTP 200 with ``{"data": ..., "errors": null}``, or
HTTP 200 with ``{"data": null, "errors": [{"message", "path", "extensions": {"code", "timestamp"}}]}`` for a
query this emulator cannot read or answer (reference section B). Auth is the same as for the rest of the API.

Understood (a small parser, enough for what plugins/module_utils/analytics.py builds, and a clear error for the
rest): one ``query`` operation (name and variable definitions optional; variable types are not checked),
``viewer { zones(filter: {zoneTag: ...}) { <alias>: httpRequests1dGroups|httpRequests1hGroups(limit, filter,
orderBy) { dimensions { date datetime } sum { requests cachedRequests bytes cachedBytes threats pageViews
countryMap { clientCountryName requests threats bytes } responseStatusMap { edgeResponseStatus requests } }
uniq { uniques } } } }``. Filters: ``date``, ``date_geq/gt/leq/lt`` (1d) and ``datetime``, ``datetime_geq/gt/leq/lt``
(both; a 1d group's datetime is its day's midnight). orderBy: ``date_ASC|DESC``, ``datetime_ASC|DESC``,
``sum_requests_ASC|DESC``. limit: at most 10000.

Data: traffic rows per zone and hour, ``st.data["analytics"]["rows"]``, from
- POST /__emulator__/analytics/traffic {zone_id, datetime, country?, status?, requests?, cached?, bytes?,
  cached_bytes?, threats?, page_views?, uniques?, hostname?} (or {"rows": [...]}) -> exact numbers for tests;
- answers of the load-balancer simulation (POST /__emulator__/lb/steer): one request per answer, for the load
  balancer's zone, hostname, country and status (200, or the 52x error answered) -- hooked in load_balancing._answer;
- a deterministic baseline per zone and hour (seeded by zone id and hour, never in the future), on by default;
  POST /__emulator__/analytics/baseline {enabled: false} turns it off so a test sees only the traffic it added.
uniques of a group is the sum of its rows' uniques (an approximation: the real API counts distinct visitors).
"""
from __future__ import annotations

import hashlib
import random
import re
from datetime import datetime, timedelta, timezone

from .core import Response, control_route, route

KEY = "analytics"
DATASETS = {"httpRequests1dGroups": "day", "httpRequests1hGroups": "hour"}
MAX_LIMIT = 10000
BASELINE_COUNTRIES = ("US", "DE", "GB", "FR", "CN")
BASELINE_STATUSES = (200, 304, 404, 500)
SUM_FIELDS = {"requests": "requests", "cachedRequests": "cached", "bytes": "bytes", "cachedBytes": "cached_bytes",
              "threats": "threats", "pageViews": "page_views"}


class GraphQLError(Exception):
    def __init__(self, message, path=None, code="GRAPHQL_VALIDATION_FAILED"):
        super().__init__(message)
        self.message = message
        self.path = path
        self.code = code


# --- data ------------------------------------------------------------------------------------------------------------
def _store(st):
    return st.data.setdefault(KEY, {"rows": [], "baseline": True})


def _hour(value):
    text = str(value).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        text += "T00:00:00Z"
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def add_row(st, zone_id, when, country="US", status=200, requests=1, cached=0, nbytes=0, cached_bytes=0,
            threats=0, page_views=0, uniques=0, hostname=None):
    row = {"zone_id": zone_id, "datetime": _iso(_hour(when)), "country": (country or "XX").upper(),
           "status": int(status), "requests": int(requests), "cached": int(cached), "bytes": int(nbytes),
           "cached_bytes": int(cached_bytes), "threats": int(threats), "page_views": int(page_views),
           "uniques": int(uniques), "hostname": hostname}
    _store(st)["rows"].append(row)
    return row


def count_steer(st, zone_id, hostname, country, status):
    """Hook for the load-balancer simulation: one answered request."""
    add_row(st, zone_id, datetime.now(timezone.utc), country=country or "XX", status=status, requests=1,
            nbytes=1024, page_views=1 if status == 200 else 0, uniques=1, hostname=hostname)


def baseline_rows(zone_id, hour):
    """The seeded baseline of one zone and hour: one row per country, statuses spread over the requests."""
    seed = int(hashlib.sha256(("%s|%s" % (zone_id, _iso(hour))).encode()).hexdigest()[:16], 16)
    rng = random.Random(seed)
    rows = []
    for country in BASELINE_COUNTRIES:
        total = rng.randint(5, 40)
        for status in BASELINE_STATUSES:
            share = total if status == BASELINE_STATUSES[-1] else rng.randint(0, total)
            total -= share
            if share == 0:
                continue
            cached = rng.randint(0, share) if status in (200, 304) else 0
            per = rng.randint(500, 5000)
            rows.append({"zone_id": zone_id, "datetime": _iso(hour), "country": country, "status": status,
                         "requests": share, "cached": cached, "bytes": share * per, "cached_bytes": cached * per,
                         "threats": rng.randint(0, 1) if status == 404 else 0,
                         "page_views": share if status == 200 else 0, "uniques": max(1, share // 3),
                         "hostname": None})
    return rows


def _rows(st, zone_id, start, end):
    """Rows of the zone with start <= hour <= end (inclusive, hour precision)."""
    store = _store(st)
    out = [r for r in store["rows"] if r["zone_id"] == zone_id and start <= _hour(r["datetime"]) <= end]
    if store.get("baseline", True):
        now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        hour = start
        stop = min(end, now)
        while hour <= stop:
            out.extend(baseline_rows(zone_id, hour))
            hour += timedelta(hours=1)
    return out


# --- control routes --------------------------------------------------------------------------------------------------
@control_route("POST", "/analytics/traffic")
def control_traffic(req, st):
    body = req.json
    items = body.get("rows") if isinstance(body.get("rows"), list) else [body]
    added = []
    for item in items:
        zone_id = item.get("zone_id")
        st.zone(zone_id)
        if not item.get("datetime"):
            raise ValueError("datetime is required")
        added.append(add_row(st, zone_id, item["datetime"], country=item.get("country", "US"),
                             status=item.get("status", 200), requests=item.get("requests", 1),
                             cached=item.get("cached", 0), nbytes=item.get("bytes", 0),
                             cached_bytes=item.get("cached_bytes", 0), threats=item.get("threats", 0),
                             page_views=item.get("page_views", 0), uniques=item.get("uniques", 0),
                             hostname=item.get("hostname")))
    st.save()
    return {"added": added}


@control_route("POST", "/analytics/baseline")
def control_baseline(req, st):
    _store(st)["baseline"] = bool(req.json.get("enabled", True))
    st.save()
    return {"baseline": _store(st)["baseline"]}


# --- parser ----------------------------------------------------------------------------------------------------------
TOKEN = re.compile(r'\s*(?:(?P<comment>#[^\n]*)|(?P<punct>\.\.\.|[{}()\[\]:,!=$@])|(?P<string>"(?:[^"\\]|\\.)*")'
                   r'|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>[_A-Za-z][_0-9A-Za-z]*))')


def _tokens(text):
    pos = 0
    out = []
    text = text.rstrip()
    while pos < len(text):
        found = TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise GraphQLError("Syntax Error: unexpected character %r at offset %d" % (text[pos:pos + 1], pos))
        pos = found.end()
        kind = found.lastgroup
        if kind == "comment":
            continue
        out.append((kind, found.group(kind)))
    return out


class _Parser:
    def __init__(self, text, variables):
        self.toks = _tokens(text)
        self.i = 0
        self.variables = variables or {}

    def peek(self, value=None):
        if self.i >= len(self.toks):
            return None if value is not None else (None, None)
        tok = self.toks[self.i]
        return tok if value is None else (tok[1] if tok[1] == value and tok[0] in ("punct", "name") else None)

    def take(self, value=None):
        if self.i >= len(self.toks):
            raise GraphQLError("Syntax Error: unexpected end of query" + (", expected %r" % value if value else ""))
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            raise GraphQLError("Syntax Error: expected %r, found %r" % (value, tok[1]))
        self.i += 1
        return tok

    def document(self):
        if self.peek("query"):
            self.take()
            if self.peek()[0] == "name":
                self.take()
            if self.peek("("):
                self.take("(")
                while not self.peek(")"):
                    self.take("$")
                    self.take()
                    self.take(":")
                    self._type()
                    if self.peek("="):
                        self.take("=")
                        self.value(const=True)
                    if self.peek(","):
                        self.take()
                self.take(")")
        elif self.peek()[0] == "name":
            raise GraphQLError("only query operations are supported, not %r" % self.peek()[1])
        selection = self.selection_set()
        if self.i != len(self.toks):
            raise GraphQLError("Syntax Error: unexpected %r after the operation (one operation per request)"
                               % self.toks[self.i][1])
        return selection

    def _type(self):
        if self.peek("["):
            self.take("[")
            self._type()
            self.take("]")
        else:
            kind, _value = self.take()
            if kind != "name":
                raise GraphQLError("Syntax Error: expected a type name")
        if self.peek("!"):
            self.take("!")

    def selection_set(self):
        self.take("{")
        fields = []
        while not self.peek("}"):
            if self.peek("..."):
                raise GraphQLError("fragments are not supported by this emulator")
            kind, name = self.take()
            if kind != "name":
                raise GraphQLError("Syntax Error: expected a field name, found %r" % name)
            alias = name
            if self.peek(":"):
                self.take(":")
                kind, name = self.take()
                if kind != "name":
                    raise GraphQLError("Syntax Error: expected a field name after alias %r" % alias)
            args = {}
            if self.peek("("):
                self.take("(")
                while not self.peek(")"):
                    kind, arg = self.take()
                    self.take(":")
                    args[arg] = self.value()
                    if self.peek(","):
                        self.take()
                self.take(")")
            sub = self.selection_set() if self.peek("{") else None
            fields.append({"alias": alias, "name": name, "args": args, "fields": sub})
            if self.peek(","):
                self.take()
        self.take("}")
        return fields

    def value(self, const=False):
        kind, text = self.take()
        if text == "$" and kind == "punct":
            if const:
                raise GraphQLError("Syntax Error: a variable in a default value")
            _kind, name = self.take()
            return self.variables.get(name)
        if kind == "string":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            return float(text) if "." in text else int(text)
        if text == "[":
            items = []
            while not self.peek("]"):
                items.append(self.value(const))
                if self.peek(","):
                    self.take()
            self.take("]")
            return items
        if text == "{":
            obj = {}
            while not self.peek("}"):
                _kind, key = self.take()
                self.take(":")
                obj[key] = self.value(const)
                if self.peek(","):
                    self.take()
            self.take("}")
            return obj
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)
        raise GraphQLError("Syntax Error: unexpected %r" % text)


# --- resolver --------------------------------------------------------------------------------------------------------
def _need(field, path):
    if field["fields"] is None:
        raise GraphQLError("field %r of type object must have a selection of subfields" % field["name"], path)
    return field["fields"]


def _no_sub(field, path):
    if field["fields"] is not None:
        raise GraphQLError("field %r must not have a selection since it is a scalar" % field["name"], path)


def _resolve_root(st, fields):
    data = {}
    for field in fields:
        path = [field["alias"]]
        if field["name"] != "viewer":
            raise GraphQLError("unknown field %r on type Query" % field["name"], path)
        viewer = {}
        for sub in _need(field, path):
            sub_path = path + [sub["alias"]]
            if sub["name"] != "zones":
                raise GraphQLError("unknown field %r on type viewer (this emulator serves zones)" % sub["name"],
                                   sub_path)
            viewer[sub["alias"]] = _resolve_zones(st, sub, sub_path)
        data[field["alias"]] = viewer
    return data


def _resolve_zones(st, field, path):
    flt = field["args"].get("filter") or {}
    tags = flt.get("zoneTag_in") or ([flt["zoneTag"]] if flt.get("zoneTag") else [])
    if not tags:
        raise GraphQLError("zones needs a filter on zoneTag", path)
    if len(tags) > 10:
        raise GraphQLError("a query can include up to 10 zones", path, code="BAD_USER_INPUT")
    out = []
    for index, tag in enumerate(tags):
        if tag not in st.data["zones"]:
            raise GraphQLError("zone '%s' does not exist or is not accessible with these credentials" % tag,
                               path + [index], code="authz")
        zone = {}
        for sub in _need(field, path):
            sub_path = path + [index, sub["alias"]]
            if sub["name"] not in DATASETS:
                raise GraphQLError("unknown field %r on type zone (this emulator serves %s)"
                                   % (sub["name"], ", ".join(sorted(DATASETS))), sub_path)
            zone[sub["alias"]] = _resolve_groups(st, tag, sub, sub_path)
        out.append(zone)
    return out


def _day_midnight(value):
    return _hour(value).replace(hour=0)


def _window(granularity, flt, path):
    """(start hour, end hour) inclusive from the filter."""
    lo = datetime(1970, 1, 1, tzinfo=timezone.utc)
    hi = datetime(2999, 1, 1, tzinfo=timezone.utc)
    allowed = {"datetime", "datetime_geq", "datetime_gt", "datetime_leq", "datetime_lt"}
    if granularity == "day":
        allowed |= {"date", "date_geq", "date_gt", "date_leq", "date_lt"}
    for key, value in flt.items():
        if key not in allowed:
            raise GraphQLError("unknown filter field %r (this emulator understands %s)"
                               % (key, ", ".join(sorted(allowed))), path + ["filter"])
        try:
            when = _hour(value)
        except (TypeError, ValueError):
            raise GraphQLError("filter %s: %r is not a valid %s" % (key, value, "Date" if key.startswith("date_")
                               or key == "date" else "Time"), path + ["filter"], code="BAD_USER_INPUT")
        is_date = key == "date" or key.startswith("date_")
        if granularity == "day":
            when = when.replace(hour=0)
        step = timedelta(days=1) if (is_date or granularity == "day") else timedelta(hours=1)
        if key.endswith("_geq"):
            lo = max(lo, when)
        elif key.endswith("_gt"):
            lo = max(lo, when + step)
        elif key.endswith("_leq"):
            hi = min(hi, when + step - timedelta(hours=1))
        elif key.endswith("_lt"):
            hi = min(hi, when - timedelta(hours=1))
        else:
            lo = max(lo, when)
            hi = min(hi, when + step - timedelta(hours=1))
    if lo.year == 1970 or hi.year == 2999:
        raise GraphQLError("a time range filter is required (both a lower and an upper bound)", path + ["filter"],
                           code="BAD_USER_INPUT")
    return lo, hi


def _resolve_groups(st, zone_id, field, path):
    granularity = DATASETS[field["name"]]
    args = field["args"]
    unknown = set(args) - {"limit", "filter", "orderBy"}
    if unknown:
        raise GraphQLError("unknown argument %s on field %r" % (", ".join(sorted(unknown)), field["name"]), path)
    limit = args.get("limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_LIMIT:
        raise GraphQLError("limit must be an integer between 1 and %d" % MAX_LIMIT, path, code="BAD_USER_INPUT")
    start, end = _window(granularity, args.get("filter") or {}, path)
    if granularity == "day":
        max_span, what = timedelta(days=366), "366 days"
    else:
        max_span, what = timedelta(days=3), "3 days"
    if end - start > max_span:
        raise GraphQLError("the requested time range exceeds the %s allowed for %s" % (what, field["name"]),
                           path, code="BAD_USER_INPUT")
    groups = {}
    for row in _rows(st, zone_id, start, end):
        when = _hour(row["datetime"])
        key = _iso(when.replace(hour=0) if granularity == "day" else when)
        groups.setdefault(key, []).append(row)
    keys = sorted(groups)
    order = args.get("orderBy") or []
    order = order if isinstance(order, list) else [order]
    for spec in reversed(order):
        found = re.match(r"^(date|datetime|sum_requests)_(ASC|DESC)$", str(spec))
        if not found:
            raise GraphQLError("unknown orderBy %r (this emulator understands date, datetime and sum_requests, "
                               "_ASC or _DESC)" % spec, path)
        reverse = found.group(2) == "DESC"
        if found.group(1) == "sum_requests":
            keys.sort(key=lambda k: sum(r["requests"] for r in groups[k]), reverse=reverse)
        else:
            keys.sort(reverse=reverse)
    # The selection is checked even when no group has traffic (a validation error does not depend on the data).
    _group("1970-01-01T00:00:00Z", [], _need(field, path), path)
    out = []
    for index, key in enumerate(keys[:limit]):
        out.append(_group(key, groups[key], _need(field, path), path + [index]))
    return out


def _group(key, rows, fields, path):
    group = {}
    for field in fields:
        sub_path = path + [field["alias"]]
        name = field["name"]
        if name == "dimensions":
            dims = {}
            for dim in _need(field, sub_path):
                _no_sub(dim, sub_path + [dim["alias"]])
                if dim["name"] == "date":
                    dims[dim["alias"]] = key[:10]
                elif dim["name"] == "datetime":
                    dims[dim["alias"]] = key
                else:
                    raise GraphQLError("unknown dimension %r (this emulator serves date, datetime)" % dim["name"],
                                       sub_path + [dim["alias"]])
            group[field["alias"]] = dims
        elif name == "sum":
            group[field["alias"]] = _sum(rows, _need(field, sub_path), sub_path)
        elif name == "uniq":
            uniq = {}
            for sub in _need(field, sub_path):
                _no_sub(sub, sub_path + [sub["alias"]])
                if sub["name"] != "uniques":
                    raise GraphQLError("unknown field %r on uniq" % sub["name"], sub_path + [sub["alias"]])
                uniq[sub["alias"]] = sum(r["uniques"] for r in rows)
            group[field["alias"]] = uniq
        else:
            raise GraphQLError("unknown field %r on the group (dimensions, sum, uniq)" % name, sub_path)
    return group


def _sum(rows, fields, path):
    out = {}
    for field in fields:
        sub_path = path + [field["alias"]]
        name = field["name"]
        if name in SUM_FIELDS:
            _no_sub(field, sub_path)
            out[field["alias"]] = sum(r[SUM_FIELDS[name]] for r in rows)
        elif name == "countryMap":
            out[field["alias"]] = _breakdown(rows, "country", _need(field, sub_path), sub_path, {
                "clientCountryName": None, "requests": "requests", "threats": "threats", "bytes": "bytes"})
        elif name == "responseStatusMap":
            out[field["alias"]] = _breakdown(rows, "status", _need(field, sub_path), sub_path, {
                "edgeResponseStatus": None, "requests": "requests"})
        else:
            raise GraphQLError("unknown field %r on sum (this emulator serves %s, countryMap, responseStatusMap)"
                               % (name, ", ".join(SUM_FIELDS)), sub_path)
    return out


def _breakdown(rows, key, fields, path, known):
    totals = {}
    for row in rows:
        entry = totals.setdefault(row[key], {"requests": 0, "threats": 0, "bytes": 0})
        for metric in entry:
            entry[metric] += row[metric]
    out = []
    for value in sorted(totals, key=str):
        item = {}
        for field in fields:
            if field["name"] not in known:
                raise GraphQLError("unknown field %r (this emulator serves %s)" % (field["name"], ", ".join(known)),
                                   path + [field["alias"]])
            _no_sub(field, path + [field["alias"]])
            metric = known[field["name"]]
            item[field["alias"]] = value if metric is None else totals[value][metric]
        out.append(item)
    return out


def _error_body(exc):
    return {"data": None, "errors": [{"message": exc.message, "path": exc.path,
                                      "extensions": {"code": exc.code,
                                                     "timestamp": datetime.now(timezone.utc).isoformat()}}]}


@route("POST", "/graphql")
def graphql(req, st):
    body = req.json
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        return Response(_error_body(GraphQLError("a JSON body with a query string is required")))
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return Response(_error_body(GraphQLError("variables must be a JSON object")))
    try:
        selection = _Parser(body["query"], variables).document()
        data = _resolve_root(st, selection)
    except GraphQLError as exc:
        return Response(_error_body(exc))
    return Response({"data": data, "errors": None})
