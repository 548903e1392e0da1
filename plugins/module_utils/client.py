# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one seam between the modules and the official ``cloudflare`` SDK.

It owns credentials, the base URL, timeouts, the retry policy (a create is never re-sent blindly), error
translation, zone and account resolution, and listings that read each page exactly once.
"""

from __future__ import annotations

import random
import re
import time

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import cloudflare
    import httpx
    HAS_SDK = True
    SDK_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the missing-SDK test in a subprocess
    HAS_SDK = False
    SDK_IMPORT_ERROR = exc

SDK_MIN_VERSION = (5, 9)
SDK_MAX_VERSION = (6, 0)
SDK_REQUIREMENT = "cloudflare>=5.9,<6"
DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
ZONE_ID = re.compile(r"^[0-9a-f]{32}$")

MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
RETRY_AFTER_CAP = 60.0


def cloudflare_argument_spec():
    return dict(
        api_token=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDFLARE_API_TOKEN"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDFLARE_API_KEY"])),
        api_email=dict(type="str", fallback=(env_fallback, ["CLOUDFLARE_EMAIL"])),
        account_id=dict(type="str", fallback=(env_fallback, ["CLOUDFLARE_ACCOUNT_ID"])),
        api_base_url=dict(type="str", fallback=(env_fallback, ["CLOUDFLARE_BASE_URL"]), default=DEFAULT_BASE_URL),
        timeout=dict(type="float", default=30.0),
    )


class CloudflareAPIError(Exception):
    """A failed request after the retry policy gave up; ``status`` is None for transport failures."""

    def __init__(self, status, errors, message, ambiguous=False):
        super().__init__(message)
        self.status = status
        self.errors = errors
        self.ambiguous = ambiguous

    @property
    def codes(self):
        return [e.get("code") for e in self.errors]


def _version_tuple(text):
    return tuple(int(p) for p in re.findall(r"\d+", text)[:2])


def _errors_of(body):
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            return [_error_item(e) for e in errors if isinstance(e, dict)]
        if isinstance(body.get("error"), dict):
            return [body["error"]]
    return []


def _error_item(error):
    item = {"code": error.get("code"), "message": error.get("message")}
    pointer = (error.get("source") or {}).get("pointer")
    if pointer:
        item["field"] = pointer
    return item


def _retry_after(headers):
    """Seconds the server asked us to wait, honoured when 0 < v <= 60 (as the SDK does)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if 0 < seconds <= RETRY_AFTER_CAP:
            return seconds
    return None


def _backoff(attempt):
    return min(BACKOFF_BASE * 2 ** attempt, BACKOFF_CAP) * random.uniform(0.75, 1.0)


class CloudflareClient(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        if not HAS_SDK:
            module.fail_json(msg=missing_required_lib(SDK_REQUIREMENT, url="https://pypi.org/project/cloudflare/")
                             + " Install it with: pip install '%s'" % SDK_REQUIREMENT,
                             exception=str(SDK_IMPORT_ERROR))
        version = _version_tuple(getattr(cloudflare, "__version__", "0"))
        if not SDK_MIN_VERSION <= version < SDK_MAX_VERSION:
            module.fail_json(msg="The cloudflare SDK %s is not supported; install it with: pip install '%s'"
                             % (getattr(cloudflare, "__version__", "unknown"), SDK_REQUIREMENT))
        token, key, email = params.get("api_token"), params.get("api_key"), params.get("api_email")
        if bool(key) != bool(email):
            module.fail_json(msg="api_key and api_email must be given together (or use api_token)")
        # An Origin CA key (X-Auth-User-Service-Key) is a credential only for modules that declare origin_ca_key.
        service_key = params.get("origin_ca_key")
        if not token and not key and not service_key:
            module.fail_json(msg="No Cloudflare credentials: set api_token (or CLOUDFLARE_API_TOKEN), "
                                 "or api_key and api_email (or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL)"
                                 + (", or origin_ca_key" if "origin_ca_key" in params else ""))
        base_url = params.get("api_base_url") or DEFAULT_BASE_URL
        http_client = None
        if base_url.startswith("http://"):
            # No TLS on a plain-HTTP base URL (a local emulator): skip loading the CA bundle (~0.1 s a task).
            http_client = cloudflare.DefaultHttpxClient(verify=False, timeout=params.get("timeout"))
        self.sdk = cloudflare.Cloudflare(api_token=token, api_key=key, api_email=email, base_url=base_url,
                                         timeout=params.get("timeout"), max_retries=0, http_client=http_client,
                                         user_service_key=service_key)
        if not service_key:
            # The SDK would otherwise read CLOUDFLARE_API_USER_SERVICE_KEY from the environment.
            self.sdk.user_service_key = None
        if not key:
            # The SDK would otherwise pick key/email up from the environment and prefer them over the token.
            self.sdk.api_key = None
            self.sdk.api_email = None
        self._zones = {}
        self._account_id = params.get("account_id")

    # --- low level ---------------------------------------------------------------------------------------------
    def _send(self, method, path, body=None, query=None, files=None, headers=None, raw=False):
        options = {}
        if query:
            options["params"] = query
        if headers:
            options["headers"] = headers
        cast_to = str if raw else object
        try:
            if method == "GET":
                return self.sdk.get(path, cast_to=cast_to, options=options)
            if method == "DELETE":
                return self.sdk.delete(path, cast_to=cast_to, body=body, options=options)
            call = {"POST": self.sdk.post, "PUT": self.sdk.put, "PATCH": self.sdk.patch}[method]
            if files is not None:
                return call(path, cast_to=cast_to, body=body, files=files, options=options)
            return call(path, cast_to=cast_to, body=body, options=options)
        except cloudflare.APIStatusError as exc:
            body_json = exc.body if isinstance(exc.body, dict) else None
            raise _StatusFailure(exc.status_code, _errors_of(body_json), exc.response.headers)
        except cloudflare.APIConnectionError as exc:
            never_sent = isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout))
            raise _TransportFailure(str(exc.__cause__ or exc), ambiguous=not never_sent)

    def request(self, method, path, body=None, query=None, what=None, retry=True, **kwargs):
        """Send with the retry policy; raise CloudflareAPIError when it gives up.

        ``retry=True`` is for reads and idempotent writes. With ``retry=False`` only failures that prove the
        request was not processed (429, a connection never made) are retried; anything ambiguous is raised
        with ``ambiguous=True`` for the caller to reconcile.
        """
        attempt = 0
        while True:
            try:
                return self._send(method, path, body=body, query=query, **kwargs)
            except _StatusFailure as failure:
                retryable = failure.status == 429 or (retry and failure.status >= 500)
                ambiguous = failure.status >= 500
                if not retryable or attempt + 1 >= MAX_ATTEMPTS:
                    raise CloudflareAPIError(failure.status, failure.errors,
                                             _describe(method, path, what, failure.status, failure.errors),
                                             ambiguous=ambiguous)
                time.sleep(_retry_after(failure.headers) or _backoff(attempt))
            except _TransportFailure as failure:
                if (failure.ambiguous and not retry) or attempt + 1 >= MAX_ATTEMPTS:
                    raise CloudflareAPIError(None, [], _describe(method, path, what, None, [], failure.reason),
                                             ambiguous=failure.ambiguous)
                time.sleep(_backoff(attempt))
            attempt += 1

    def fail(self, error, **extra):
        self.module.fail_json(msg=str(error), status=error.status, errors=error.errors, **extra)

    def call(self, method, path, body=None, query=None, what=None, missing_ok=False, **kwargs):
        try:
            response = self.request(method, path, body=body, query=query, what=what, **kwargs)
        except CloudflareAPIError as error:
            if missing_ok and error.status == 404:
                return None
            self.fail(error)
        if isinstance(response, dict) and "result" in response:
            return response["result"]
        return response

    # --- verbs ---------------------------------------------------------------------------------------------------
    def get(self, path, query=None, what=None, missing_ok=False, raw=False):
        return self.call("GET", path, query=query, what=what, missing_ok=missing_ok, raw=raw)

    def put(self, path, body=None, what=None, query=None):
        return self.call("PUT", path, body=body, query=query, what=what)

    def patch(self, path, body=None, what=None, query=None):
        return self.call("PATCH", path, body=body, query=query, what=what)

    def delete(self, path, body=None, what=None, missing_ok=True):
        return self.call("DELETE", path, body=body, what=what, missing_ok=missing_ok)

    def post(self, path, body=None, what=None, reconcile=None, query=None, files=None, attempts=3):
        """Create something. Never re-sent blindly: after an ambiguous failure ``reconcile()`` re-reads and
        returns what the lost request created (then that is the result) or None (then it is safe to send again).
        Without ``reconcile`` an ambiguous failure is reported as such."""
        for attempt in range(attempts):
            try:
                response = self.request("POST", path, body=body, query=query, what=what, retry=False, files=files)
                return response.get("result") if isinstance(response, dict) and "result" in response else response
            except CloudflareAPIError as error:
                if not error.ambiguous or reconcile is None:
                    if error.ambiguous:
                        error = CloudflareAPIError(error.status, error.errors, str(error) + " (the request may or may "
                                                   "not have been applied; re-run the task to reconcile)", True)
                    self.fail(error)
                found = reconcile()
                if found is not None:
                    return found
                if attempt + 1 == attempts:
                    self.fail(error)
                time.sleep(_backoff(attempt))
        return None

    def list(self, path, query=None, what=None, per_page=100):
        """Every item of a paged listing. Each page is read once; no trailing empty page is requested."""
        items = []
        page = 1
        while True:
            params = dict(query or {})
            params.update(page=page, per_page=per_page)
            try:
                response = self.request("GET", path, query=params, what=what)
            except CloudflareAPIError as error:
                self.fail(error)
            chunk = response.get("result") or []
            items.extend(chunk)
            info = response.get("result_info") or {}
            # An API that caps per_page says so in result_info.per_page: pages are that size, not the one asked.
            size = info.get("per_page")
            size = size if isinstance(size, int) and 0 < size < per_page else per_page
            total_pages = info.get("total_pages")
            if total_pages is None and info.get("total_count") is not None:
                total_pages = -(-info["total_count"] // size)
            if not chunk or len(chunk) < size or (total_pages is not None and page >= total_pages):
                return items
            page += 1

    # --- resolution ----------------------------------------------------------------------------------------------
    def zone(self, name_or_id, missing_ok=False):
        """The zone by id or by name (any case, trailing dot allowed); fails clearly when it does not exist."""
        key = (name_or_id or "").strip().rstrip(".").lower()
        if key in self._zones:
            return self._zones[key]
        if ZONE_ID.match(key):
            zone = self.get("/zones/%s" % key, what="zone %s" % key, missing_ok=True)
        else:
            query = {"name": key}
            if self._account_id:
                query["account.id"] = self._account_id
            found = self.get("/zones", query=query, what="zone %s" % key) or []
            zone = found[0] if found else None
        if zone is None:
            if missing_ok:
                return None
            self.module.fail_json(msg="zone %s not found (check the name or id and the token's zone permissions)"
                                      % name_or_id)
        self._zones[key] = zone
        self._zones[zone["id"]] = zone
        self._zones[zone["name"]] = zone
        return zone

    def forget_zone(self, name_or_id):
        zone = self._zones.pop((name_or_id or "").strip().rstrip(".").lower(), None)
        if zone:
            self._zones.pop(zone["id"], None)
            self._zones.pop(zone["name"], None)

    def account_id(self):
        """The account: the account_id option, or the only account the credentials can see."""
        if not self._account_id:
            accounts = self.list("/accounts", what="accounts", per_page=50)
            if len(accounts) != 1:
                self.module.fail_json(msg="account_id is required: the credentials see %d accounts (%s)" % (
                    len(accounts), ", ".join("%s %s" % (a.get("id"), a.get("name")) for a in accounts) or "none"))
            self._account_id = accounts[0]["id"]
        return self._account_id


class _StatusFailure(Exception):
    def __init__(self, status, errors, headers):
        super().__init__(status)
        self.status = status
        self.errors = errors
        self.headers = headers


class _TransportFailure(Exception):
    def __init__(self, reason, ambiguous):
        super().__init__(reason)
        self.reason = reason
        self.ambiguous = ambiguous


def _describe(method, path, what, status, errors, reason=None):
    subject = what or path
    if status is None:
        return "%s: %s %s failed: %s" % (subject, method, path, reason)
    detail = "; ".join("%s %s%s" % (e.get("code"), e.get("message"), " (field %s)" % e["field"] if e.get("field") else "")
                       for e in errors) or "no error details"
    return "%s: %s %s returned HTTP %s: %s" % (subject, method, path, status, detail)
