"""Core of the Cloudflare API emulator: routing, the v4 envelope, auth, paging, errors, faults, request log.

Families (zones.py, dns.py, ...) register handlers with @route; the server calls dispatch() for every request.
"""
from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/client/v4"
CONTROL_PREFIX = "/__emulator__"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ROUTES = []
CONTROL_ROUTES = []


class CFError(Exception):
    """An API error answered as Cloudflare does: 4xx/5xx with {success: false, errors: [{code, message}]}."""

    def __init__(self, status, code, message, pointer=None):
        super().__init__(message)
        self.status = status
        self.errors = [{"code": code, "message": message}]
        if pointer:
            self.errors[0]["source"] = {"pointer": pointer}

    def add(self, code, message):
        self.errors.append({"code": code, "message": message})
        return self


class Response:
    """A raw answer (non-envelope body, e.g. BIND export text or GraphQL)."""

    def __init__(self, body, status=200, content_type="application/json", headers=None):
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = headers or {}


class Dropped(Exception):
    """Close the connection without answering (fault injection)."""


def _compile(template):
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return re.compile("^" + pattern + "$")


def route(method, template):
    def decorate(fn):
        ROUTES.append((method, template, _compile(template), fn))
        return fn
    return decorate


def control_route(method, template):
    def decorate(fn):
        CONTROL_ROUTES.append((method, template, _compile(template), fn))
        return fn
    return decorate


def _match(routes, method, path):
    path_known = False
    for m, template, rx, fn in routes:
        found = rx.match(path)
        if found:
            path_known = True
            if m == method:
                return template, fn, found.groupdict()
    return (None, None, path_known)


class Request:
    def __init__(self, method, target, headers, body):
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body or b""
        self._json = None
        self._form = None

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name):
        return self.query.get(name, [])

    @property
    def json(self):
        if self._json is None:
            if not self.body:
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.body)
                except ValueError:
                    raise CFError(400, 6007, "Malformed JSON in request body")
        return self._json

    @property
    def form(self):
        """multipart/form-data parts as {name: str}."""
        if self._form is None:
            self._form = _parse_multipart(self.headers.get("content-type", ""), self.body)
        return self._form


def _parse_multipart(content_type, body):
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        raise CFError(400, 1001, "Expected multipart/form-data")
    boundary = b"--" + found.group(1).encode()
    parts = {}
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _sep, value = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        if name:
            parts[name.group(1).decode()] = value.decode("utf-8", "replace")
    return parts


def envelope(result, result_info=None, messages=None):
    body = {"success": True, "errors": [], "messages": messages or [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return body


def paginate(req, items, default_per_page=20, max_per_page=1000, min_per_page=5):
    """page/per_page like Cloudflare: result_info with totals, an empty page past the end (the SDK pager stops there)."""
    try:
        page = int(req.arg("page", 1))
        per_page = int(req.arg("per_page", default_per_page))
    except ValueError:
        raise CFError(400, 1001, "page and per_page must be integers")
    if page < 1:
        raise CFError(400, 1001, "page must be at least 1")
    if per_page < min_per_page or per_page > max_per_page:
        raise CFError(400, 1001, "per_page must be between %d and %d" % (min_per_page, max_per_page))
    total = len(items)
    chunk = items[(page - 1) * per_page: page * per_page]
    info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": total,
            "total_pages": (total + per_page - 1) // per_page}
    return Paged(chunk, info)


class Paged:
    def __init__(self, items, info):
        self.items = items
        self.info = info


class State:
    """All emulated data, JSON-able, optionally persisted to a state file after every write."""

    def __init__(self, token="emulator-token", api_key=None, api_email=None, state_file=None,
                 account_name="Websoft9 Demo"):
        self.token = token
        self.api_key = api_key
        self.api_email = api_email
        self.state_file = state_file
        self.account_name = account_name
        self.data = {}
        self.reset()
        if state_file:
            self._load()

    def reset(self, data=None):
        self.data = data or {
            "accounts": {uuid.uuid5(uuid.NAMESPACE_DNS, self.account_name).hex:
                         {"name": self.account_name}},
            "zones": {},
        }
        for acc_id, acc in self.data["accounts"].items():
            acc.setdefault("id", acc_id)

    @property
    def account_id(self):
        return next(iter(self.data["accounts"]))

    def _load(self):
        try:
            with open(self.state_file) as fh:
                self.data = json.load(fh)
        except FileNotFoundError:
            pass

    def save(self):
        if self.state_file:
            tmp = self.state_file + ".tmp"
            with open(tmp, "w") as fh:
                json.dump(self.data, fh)
            import os
            os.replace(tmp, self.state_file)

    @staticmethod
    def new_id():
        return uuid.uuid4().hex

    @staticmethod
    def now():
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def coll(self, key):
        return self.data.setdefault(key, {})

    def zone(self, zone_id):
        zone = self.data["zones"].get(zone_id)
        if zone is None:
            raise CFError(404, 7003, "Could not route to /zones/%s, perhaps your object identifier is invalid?"
                          % zone_id).add(7000, "No route for that URI")
        return zone

    def account(self, account_id):
        acc = self.data["accounts"].get(account_id)
        if acc is None:
            raise CFError(403, 9109, "Unauthorized to access requested resource")
        return acc


class Faults:
    """Injected faults. Each rule: kind (rate_limit|error_before|error_after|drop_before|drop_after|latency),
    optional method / path regex, probability (with a seed) or times (first N matches), status, retry_after, latency_ms."""

    KINDS = ("rate_limit", "error_before", "error_after", "drop_before", "drop_after", "latency")

    def __init__(self):
        self.rules = []

    def set(self, rules):
        parsed = []
        for rule in rules:
            if rule.get("kind") not in self.KINDS:
                raise ValueError("fault kind must be one of %s" % ", ".join(self.KINDS))
            rule = dict(rule)
            rule["_rng"] = random.Random(rule.get("seed", 0))
            rule["_rx"] = re.compile(rule.get("path", ".*"))
            rule.setdefault("fired", 0)
            parsed.append(rule)
        self.rules = parsed

    def clear(self):
        self.rules = []

    def pick(self, method, path):
        """The faults that fire for this request (latency plus at most one failure)."""
        fired = []
        failure = False
        for rule in self.rules:
            if rule.get("method") and rule["method"] != method:
                continue
            if rule.get("writes_only") and method not in WRITE_METHODS:
                continue
            if not rule["_rx"].search(path):
                continue
            if rule["kind"] != "latency" and failure:
                continue
            if "times" in rule:
                if rule["fired"] >= rule["times"]:
                    continue
            elif rule["_rng"].random() >= rule.get("probability", 1.0):
                continue
            rule["fired"] += 1
            fired.append(rule)
            failure = failure or rule["kind"] != "latency"
        return fired

    def describe(self):
        return [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.rules]


class Emulator:
    """Dispatches requests: control API, auth, faults, routing, envelope, log."""

    def __init__(self, state=None):
        from . import load_families
        load_families()
        self.state = state or State()
        self.faults = Faults()
        self.log = []
        self.lock = threading.Lock()

    # --- request log -------------------------------------------------------------
    def requests(self):
        by_route, by_method = {}, {}
        writes = 0
        for entry in self.log:
            key = "%s %s" % (entry["method"], entry["route"])
            by_route[key] = by_route.get(key, 0) + 1
            by_method[entry["method"]] = by_method.get(entry["method"], 0) + 1
            if entry["method"] in WRITE_METHODS:
                writes += 1
        return {"total": len(self.log), "writes": writes, "by_route": by_route, "by_method": by_method,
                "requests": self.log}

    # --- dispatch ----------------------------------------------------------------
    def handle(self, method, target, headers, body):
        """Returns (status, headers, body bytes). Raises Dropped to close the connection."""
        req = Request(method, target, headers, body)
        with self.lock:
            if req.path.startswith(CONTROL_PREFIX):
                return self._control(req)
            return self._api(req)

    def _control(self, req):
        sub = req.path[len(CONTROL_PREFIX):] or "/"
        try:
            if sub == "/reset" and req.method == "POST":
                self.state.reset(req.json.get("data") if req.body else None)
                self.faults.clear()
                self.log = []
                self.state.save()
                return _json(200, {"ok": True, "account_id": self.state.account_id})
            if sub == "/requests":
                if req.method == "DELETE":
                    self.log = []
                    return _json(200, {"ok": True})
                return _json(200, self.requests())
            if sub == "/faults":
                if req.method == "DELETE":
                    self.faults.clear()
                else:
                    self.faults.set(req.json.get("faults", []))
                return _json(200, {"faults": self.faults.describe()})
            if sub == "/state":
                return _json(200, self.state.data)
            template, fn, params = _match(CONTROL_ROUTES, req.method, sub)
            if fn is None:
                return _json(404, {"error": "no control route %s %s" % (req.method, sub)})
            result = fn(req, self.state, **params)
            return _json(200, result)
        except (ValueError, CFError) as exc:
            return _json(400, {"error": str(exc)})

    def _api(self, req):
        entry = {"method": req.method, "path": req.path, "route": "?", "status": None, "fault": None}
        self.log.append(entry)
        found = None
        if req.path.startswith(API_PREFIX):
            found = _match(ROUTES, req.method, req.path[len(API_PREFIX):] or "/")
            if found[1] is not None:
                entry["route"] = found[0]
        faults = self.faults.pick(req.method, req.path)
        for fault in faults:
            if fault["kind"] == "latency":
                time.sleep(fault.get("latency_ms", 50) / 1000.0)
        failure = next((f for f in faults if f["kind"] != "latency"), None)
        if failure:
            entry["fault"] = failure["kind"]
        if failure and failure["kind"] == "rate_limit":
            entry["status"] = 429
            return _json(429, _error_body([{"code": 971, "message": "Please wait and consider throttling your request speed"}]),
                         {"Retry-After": str(failure.get("retry_after", 1))})
        if failure and failure["kind"] == "error_before":
            entry["status"] = failure.get("status", 502)
            return _json(entry["status"], _error_body([{"code": 1000, "message": "Internal server error"}]))
        if failure and failure["kind"] == "drop_before":
            raise Dropped()
        status, headers, body = self._route(req, entry, found)
        if failure and failure["kind"] == "error_after":
            entry["status"] = failure.get("status", 500)
            return _json(entry["status"], _error_body([{"code": 1000, "message": "Internal server error"}]))
        if failure and failure["kind"] == "drop_after":
            raise Dropped()
        return status, headers, body

    def _route(self, req, entry, found):
        if found is None:
            entry["status"] = 404
            return _json(404, _error_body([{"code": 7003, "message": "No route for the URI."}]))
        template, fn, params = found
        if fn is None:
            entry["status"] = 405 if params is True else 400
            if params is True:
                return _json(405, _error_body([{"code": 10405, "message": "Method not allowed"}]))
            return _json(400, _error_body([{"code": 7003, "message": "Could not route to %s, perhaps your object "
                                            "identifier is invalid?" % req.path}, {"code": 7000, "message": "No route for that URI"}]))
        try:
            self._authenticate(req, template)
            result = fn(req, self.state, **params)
        except CFError as exc:
            entry["status"] = exc.status
            return _json(exc.status, _error_body(exc.errors))
        if req.method in WRITE_METHODS:
            self.state.save()
        entry["status"] = 200
        if isinstance(result, Response):
            entry["status"] = result.status
            body = result.body if isinstance(result.body, bytes) else (
                result.body.encode() if isinstance(result.body, str) else json.dumps(result.body).encode())
            headers = {"Content-Type": result.content_type}
            headers.update(result.headers)
            return result.status, headers, body
        if isinstance(result, Paged):
            return _json(200, envelope(result.items, result.info))
        if isinstance(result, tuple):
            result, messages = result
            return _json(200, envelope(result, messages=messages))
        return _json(200, envelope(result))

    def _authenticate(self, req, template):
        if template == "/ips":
            return
        st = self.state
        auth = req.headers.get("authorization")
        key, email = req.headers.get("x-auth-key"), req.headers.get("x-auth-email")
        service_key = req.headers.get("x-auth-user-service-key")
        if key or email:
            if not (key and email):
                raise CFError(400, 6003, "Invalid request headers").add(
                    6103 if not key else 6102, "Invalid format for X-Auth-%s header" % ("Key" if not key else "Email"))
            if st.api_key is None or key != st.api_key or email != st.api_email:
                raise CFError(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
            return
        if auth:
            if not auth.startswith("Bearer ") or not auth[7:].strip():
                raise CFError(400, 6003, "Invalid request headers").add(6111, "Invalid format for Authorization header")
            if auth[7:] != st.token:
                raise CFError(401, 1000, "Invalid API Token")
            return
        if service_key and template.startswith("/certificates"):
            if service_key != st.token:
                raise CFError(401, 1000, "Invalid Origin CA key")
            return
        raise CFError(400, 1001, 'Missing "Authorization" header')


def _error_body(errors):
    return {"success": False, "errors": errors, "messages": [], "result": None}


def _json(status, body, headers=None):
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return status, out, json.dumps(body).encode()
