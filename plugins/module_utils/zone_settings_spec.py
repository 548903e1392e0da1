# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every zone setting id the API has, with the values it accepts, and how to canonicalise user input.

Source: the 66 variants of ``cloudflare/types/zones/setting_get_response.py`` (SDK 5.9.0; reference Appendix 1),
the value enums of the OpenAPI copy where the SDK only says ``int``/``float`` (browser_cache_ttl,
proxy_read_timeout), and the HSTS max_age limit of the dashboard (at most one year). ``canonical()`` turns what a
playbook gives (YAML ``on`` is a boolean, ``min_tls_version: 1.2`` a float, ``origin_max_http_version: 2`` an
int) into the exact wire value, or raises ``SettingError`` naming the setting.
"""

from __future__ import annotations

ON_OFF = ("on", "off")

# kind: "enum" (strings), "int_enum" (ints), "int" (min/max), "float" (min/max), "str", "list_str",
# "object" (fields: name -> "bool" | "int" | "str" | "list_str" | {nested fields}), "enabled" (ssl_recommender:
# a bool that is read and written as {"enabled": bool} instead of {"value": ...}).
BROWSER_CACHE_TTLS = (0, 30, 60, 120, 300, 1200, 1800, 3600, 7200, 10800, 14400, 18000, 28800, 43200, 57600, 72000,
                      86400, 172800, 259200, 345600, 432000, 691200, 1382400, 2073600, 2678400, 5356800, 16070400,
                      31536000)
CHALLENGE_TTLS = (300, 900, 1800, 2700, 3600, 7200, 10800, 14400, 28800, 57600, 86400, 604800, 2592000, 31536000)
EDGE_CACHE_TTLS = (30, 60, 300, 1200, 1800, 3600, 7200, 10800, 14400, 18000, 28800, 43200, 57600, 72000, 86400,
                   172800, 259200, 345600, 432000, 518400, 604800)
MAX_UPLOADS = (100, 125, 150, 175, 200, 225, 250, 275, 300, 325, 350, 375, 400, 425, 450, 475, 500, 1000, 1500, 2000,
               2500, 3000, 3500, 4000, 4500, 5000)
HSTS_MAX_AGE = 31536000


def _enum(*values):
    return {"kind": "enum", "values": values}


def _on_off():
    return {"kind": "enum", "values": ON_OFF}


SETTINGS = {
    "0rtt": _on_off(),
    "advanced_ddos": _on_off(),
    "aegis": {"kind": "object", "fields": {"enabled": "bool", "pool_id": "str"}},
    "always_online": _on_off(),
    "always_use_https": _on_off(),
    "automatic_https_rewrites": _on_off(),
    "automatic_platform_optimization": {"kind": "object", "fields": {
        "cache_by_device_type": "bool", "cf": "bool", "enabled": "bool", "hostnames": "list_str",
        "wordpress": "bool", "wp_plugin": "bool"}},
    "brotli": _on_off(),
    "browser_cache_ttl": {"kind": "int_enum", "values": BROWSER_CACHE_TTLS},
    "browser_check": _on_off(),
    "cache_level": _enum("aggressive", "basic", "simplified"),
    "challenge_ttl": {"kind": "int_enum", "values": CHALLENGE_TTLS},
    "china_network_enabled": _on_off(),
    "ciphers": {"kind": "list_str"},
    "cname_flattening": _enum("flatten_at_root", "flatten_all"),
    "content_converter": _on_off(),
    "development_mode": _on_off(),
    "early_hints": _on_off(),
    "edge_cache_ttl": {"kind": "int_enum", "values": EDGE_CACHE_TTLS},
    "email_obfuscation": _on_off(),
    "h2_prioritization": _enum("on", "off", "custom"),
    "hotlink_protection": _on_off(),
    "http2": _on_off(),
    "http3": _on_off(),
    "image_resizing": _enum("on", "off", "open"),
    "ip_geolocation": _on_off(),
    "ipv6": _on_off(),
    "max_upload": {"kind": "int_enum", "values": MAX_UPLOADS},
    "min_tls_version": _enum("1.0", "1.1", "1.2", "1.3"),
    "mirage": _on_off(),
    "nel": {"kind": "object", "fields": {"enabled": "bool"}},
    "opportunistic_encryption": _on_off(),
    "opportunistic_onion": _on_off(),
    "orange_to_orange": _on_off(),
    "origin_error_page_pass_thru": _on_off(),
    "origin_h2_max_streams": {"kind": "int", "min": 1, "max": None},  # no upper limit is documented
    "origin_max_http_version": _enum("2", "1"),
    "polish": _enum("off", "lossless", "lossy"),
    "prefetch_preload": _on_off(),
    "pre_render": _on_off(),
    "privacy_pass": _on_off(),
    "proxy_read_timeout": {"kind": "float", "min": 1, "max": 6000},
    "pseudo_ipv4": _enum("off", "add_header", "overwrite_header"),
    "redirects_for_ai_training": _on_off(),
    "replace_insecure_js": _on_off(),
    "response_buffering": _on_off(),
    "rocket_loader": _on_off(),
    "search_for_agents": _on_off(),
    "security_header": {"kind": "object", "fields": {"strict_transport_security": {
        "enabled": "bool", "include_subdomains": "bool", "max_age": "int", "nosniff": "bool", "preload": "bool"}}},
    "security_level": _enum("off", "essentially_off", "low", "medium", "high", "under_attack"),
    "server_side_exclude": _on_off(),
    "sha1_support": _on_off(),
    "sort_query_string_for_cache": _on_off(),
    "ssl": _enum("off", "flexible", "full", "strict"),
    "ssl_recommender": {"kind": "enabled"},
    "tls_1_2_only": _on_off(),
    "tls_1_3": _enum("on", "off", "zrt"),
    "tls_client_auth": _on_off(),
    "transformations": _enum("on", "off", "open"),
    "transformations_allowed_origins": {"kind": "str"},
    "true_client_ip_header": _on_off(),
    "waf": _on_off(),
    "webmcp_enabled": _on_off(),
    "webmcp_packs": {"kind": "str"},
    "webp": _on_off(),
    "websockets": _on_off(),
}

# Settings whose value is an object: a task gives only the sub-keys it cares about; the rest keep their
# current values (the module sends the merged object) and are not compared.
OBJECT_SETTINGS = tuple(sorted(k for k, v in SETTINGS.items() if v["kind"] == "object"))


class SettingError(ValueError):
    pass


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_int(value):
    """An int from an int, an integral float or a decimal string; None otherwise."""
    if _is_number(value):
        return int(value) if float(value) == int(value) else None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _shown(values):
    return ", ".join(str(v) for v in values)


def _enum_value(sid, spec, value):
    values = spec["values"]
    if isinstance(value, bool) and values in (ON_OFF,):
        return "on" if value else "off"
    if isinstance(value, bool):
        raise SettingError("settings.%s: %r is not one of %s" % (sid, value, _shown(values)))
    if _is_number(value):
        # min_tls_version: 1.2 (a YAML float), origin_max_http_version: 2 (an int)
        text = ("%.1f" % value) if isinstance(value, float) or sid == "min_tls_version" else str(value)
        if text not in values and float(value) == int(value):
            text = str(int(value))
        value = text
    if isinstance(value, str) and value.strip().lower() in values:
        return value.strip().lower()
    raise SettingError("settings.%s: %r is not one of %s" % (sid, value, _shown(values)))


def _field(path, kind, value):
    if isinstance(kind, dict):
        if not isinstance(value, dict):
            raise SettingError("%s: must be a dict with keys %s" % (path, _shown(sorted(kind))))
        unknown = sorted(set(value) - set(kind))
        if unknown:
            raise SettingError("%s: unknown key(s) %s (known: %s)" % (path, _shown(unknown), _shown(sorted(kind))))
        return dict((k, _field("%s.%s" % (path, k), kind[k], v)) for k, v in value.items() if v is not None)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "on", "false", "no", "off"):
            return value.lower() in ("true", "yes", "on")
        raise SettingError("%s: %r is not a boolean" % (path, value))
    if kind == "int":
        number = _as_int(value)
        if number is None or isinstance(value, bool):
            raise SettingError("%s: %r is not an integer" % (path, value))
        return number
    if kind == "str":
        if not isinstance(value, str):
            raise SettingError("%s: %r is not a string" % (path, value))
        return value
    if kind == "list_str":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingError("%s: must be a list of strings" % path)
        return list(value)
    raise AssertionError(kind)  # pragma: no cover


def canonical(sid, value):
    """The wire value of setting ``sid`` for ``value``; SettingError (naming the setting) when not allowed."""
    spec = SETTINGS.get(sid)
    if spec is None:
        raise SettingError("settings: %r is not a zone setting (known: %s)" % (sid, _shown(sorted(SETTINGS))))
    if value is None:
        raise SettingError("settings.%s: a value is required" % sid)
    kind = spec["kind"]
    path = "settings.%s" % sid
    if kind == "enum":
        return _enum_value(sid, spec, value)
    if kind == "int_enum":
        number = _as_int(value)
        if number is None or isinstance(value, bool) or number not in spec["values"]:
            raise SettingError("%s: %r is not one of %s" % (path, value, _shown(spec["values"])))
        return number
    if kind == "int":
        number = _field(path, "int", value)
        if number < spec["min"] or (spec["max"] is not None and number > spec["max"]):
            raise SettingError("%s: %r is not an integer of at least %s" % (path, value, spec["min"]))
        return number
    if kind == "float":
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        if not _is_number(value) or not spec["min"] <= value <= spec["max"]:
            raise SettingError("%s: %r is not a number between %s and %s" % (path, value, spec["min"], spec["max"]))
        return value
    if kind == "enabled":
        return _field(path, "bool", value)
    if kind == "object":
        checked = _field(path, spec["fields"], value)
        if sid == "security_header":
            hsts = checked.get("strict_transport_security")
            if hsts is None:
                raise SettingError("%s: strict_transport_security is required" % path)
            max_age = hsts.get("max_age")
            if max_age is not None and not 0 <= max_age <= HSTS_MAX_AGE:
                raise SettingError("%s.strict_transport_security.max_age: %r is not between 0 and %d"
                                   % (path, max_age, HSTS_MAX_AGE))
        return checked
    return _field(path, kind, value)


def merged(current, desired):
    """An object setting's value after the write: ``desired`` sub-keys over the ``current`` value (deep)."""
    if not isinstance(desired, dict):
        return desired
    out = dict(current) if isinstance(current, dict) else {}
    for key, value in desired.items():
        out[key] = merged(out.get(key), value)
    return out


def comparable(sid, value):
    """A value in the form used to compare desired and actual (cipher order does not matter)."""
    if sid == "ciphers" and isinstance(value, list):
        return sorted(value)
    return value
