# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare Tunnel ingress: validation, snake_case options <-> camelCase wire keys, comparison by meaning.

Wire keys from the SDK's ``zero_trust/tunnels/cloudflared/configuration_update_params.py`` (PropertyInfo aliases).
"""

from __future__ import annotations

import base64
import binascii
import json
import re

# option name -> (wire name, type)
ORIGIN_REQUEST = {
    "access": ("access", dict),
    "ca_pool": ("caPool", str),
    "connect_timeout": ("connectTimeout", int),
    "disable_chunked_encoding": ("disableChunkedEncoding", bool),
    "http2_origin": ("http2Origin", bool),
    "http_host_header": ("httpHostHeader", str),
    "keep_alive_connections": ("keepAliveConnections", int),
    "keep_alive_timeout": ("keepAliveTimeout", int),
    "match_sni_to_host": ("matchSNItoHost", bool),
    "no_happy_eyeballs": ("noHappyEyeballs", bool),
    "no_tls_verify": ("noTLSVerify", bool),
    "origin_server_name": ("originServerName", str),
    "proxy_type": ("proxyType", str),
    "tcp_keep_alive": ("tcpKeepAlive", int),
    "tls_timeout": ("tlsTimeout", int),
}
ACCESS = {"aud_tag": ("audTag", list), "team_name": ("teamName", str), "required": ("required", bool)}
WIRE_TO_OPTION = dict((wire, name) for name, (wire, dummy) in ORIGIN_REQUEST.items())
ACCESS_WIRE_TO_OPTION = dict((wire, name) for name, (wire, dummy) in ACCESS.items())

SERVICE = re.compile(r"^(https?|tcp|ssh|rdp|smb|unix|unix\+tls)://\S+$|^unix(\+tls)?:/\S+$")
HTTP_STATUS = re.compile(r"^http_status:([0-9]{3})$")
LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOSTNAME = re.compile(r"^(\*\.)?(%s\.)+%s$" % (LABEL, LABEL))
SERVICES_HELP = ("http://, https://, tcp://, ssh://, rdp://, smb://, unix:/path, unix+tls:/path, "
                 "http_status:NNN or hello_world")


class ConfigError(ValueError):
    pass


def _typed(value, kind, field):
    if kind is int:
        if isinstance(value, bool):
            raise ConfigError("%s must be a whole number of seconds" % field)
        if isinstance(value, str):
            text = value.strip()
            if text.endswith("s"):
                text = text[:-1]
            if not text.isdigit():
                raise ConfigError("%s must be a whole number of seconds, got %r" % (field, value))
            return int(text)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or value < 0:
            raise ConfigError("%s must be a whole number of seconds, got %r" % (field, value))
        return value
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "yes", "on", "false", "no", "off"):
            return value.lower() in ("true", "yes", "on")
        if not isinstance(value, bool):
            raise ConfigError("%s must be true or false, got %r" % (field, value))
        return value
    if kind is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError("%s must be a list of strings" % field)
        return list(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError("%s must be a string, got %r" % (field, value))
        return value
    return value


def origin_request_wire(value, field):
    """Option dict (snake_case; camelCase accepted too) -> wire dict (camelCase), validated."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError("%s must be a dictionary" % field)
    wire = {}
    for key, item in value.items():
        name = WIRE_TO_OPTION.get(key, key)
        if name not in ORIGIN_REQUEST:
            raise ConfigError("%s: unknown option %r (known: %s)" % (field, key, ", ".join(sorted(ORIGIN_REQUEST))))
        if item is None:
            continue
        wire_key, kind = ORIGIN_REQUEST[name]
        if name == "access":
            if not isinstance(item, dict):
                raise ConfigError("%s.access must be a dictionary" % field)
            access = {}
            for sub, sub_value in item.items():
                sub_name = ACCESS_WIRE_TO_OPTION.get(sub, sub)
                if sub_name not in ACCESS:
                    raise ConfigError("%s.access: unknown option %r (known: %s)"
                                      % (field, sub, ", ".join(sorted(ACCESS))))
                if sub_value is None:
                    continue
                sub_wire, sub_kind = ACCESS[sub_name]
                access[sub_wire] = _typed(sub_value, sub_kind, "%s.access.%s" % (field, sub_name))
            if "audTag" not in access or "teamName" not in access:
                raise ConfigError("%s.access needs aud_tag and team_name" % field)
            wire["access"] = access
            continue
        wire[wire_key] = _typed(item, kind, "%s.%s" % (field, name))
        if name == "proxy_type" and wire[wire_key] not in ("", "socks"):
            raise ConfigError("%s.proxy_type must be '' or 'socks'" % field)
    return wire


def origin_request_option(wire):
    """Wire dict -> option dict (snake_case), for the module's output."""
    if not wire:
        return {}
    out = {}
    for key, value in wire.items():
        name = WIRE_TO_OPTION.get(key, key)
        if name == "access" and isinstance(value, dict):
            value = dict((ACCESS_WIRE_TO_OPTION.get(k, k), v) for k, v in value.items())
        out[name] = value
    return out


def check_service(service, field):
    if not isinstance(service, str) or not service.strip():
        raise ConfigError("%s: a service is required (%s)" % (field, SERVICES_HELP))
    service = service.strip()
    status = HTTP_STATUS.match(service)
    if status:
        if not 100 <= int(status.group(1)) <= 599:
            raise ConfigError("%s: %r is not an HTTP status between 100 and 599" % (field, service))
        return service
    if service == "hello_world" or SERVICE.match(service):
        return service
    raise ConfigError("%s: %r is not a service cloudflared understands (%s)" % (field, service, SERVICES_HELP))


def ingress_wire(rules):
    """The ingress option -> the wire list, validated as cloudflared does: every rule but the last has a hostname;
    the last is the catch-all (no hostname, no path)."""
    if not isinstance(rules, list) or not rules:
        raise ConfigError("ingress: at least one rule is required, ending with a catch-all such as "
                          "{service: 'http_status:404'}")
    wire = []
    for i, rule in enumerate(rules):
        field = "ingress[%d]" % i
        if not isinstance(rule, dict):
            raise ConfigError("%s must be a dictionary" % field)
        unknown = set(rule) - {"hostname", "service", "path", "origin_request", "originRequest"}
        if unknown:
            raise ConfigError("%s: unknown option(s) %s (known: hostname, service, path, origin_request)"
                              % (field, ", ".join(sorted(unknown))))
        out = {}
        hostname = rule.get("hostname")
        if hostname:
            hostname = hostname.strip().rstrip(".").lower()
            if not HOSTNAME.match(hostname) or len(hostname) > 253:
                raise ConfigError("%s.hostname: %r is not a valid hostname" % (field, rule["hostname"]))
            out["hostname"] = hostname
        last = i == len(rules) - 1
        if last and (hostname or rule.get("path")):
            raise ConfigError("ingress: the last rule must be a catch-all without hostname and path, for example "
                              "{service: 'http_status:404'}")
        if not last and not hostname:
            raise ConfigError("%s.hostname: required (only the last rule is a catch-all without hostname)" % field)
        if rule.get("path"):
            try:
                re.compile(rule["path"])
            except re.error as exc:
                raise ConfigError("%s.path: %r is not a valid regular expression (%s)" % (field, rule["path"], exc))
            out["path"] = rule["path"]
        out["service"] = check_service(rule.get("service"), "%s.service" % field)
        origin = rule.get("origin_request", rule.get("originRequest"))
        origin = origin_request_wire(origin, "%s.origin_request" % field)
        if origin:
            out["originRequest"] = origin
        wire.append(out)
    return wire


def ingress_option(wire):
    out = []
    for rule in wire or []:
        item = {"service": rule.get("service")}
        if rule.get("hostname"):
            item["hostname"] = rule["hostname"]
        if rule.get("path"):
            item["path"] = rule["path"]
        if rule.get("originRequest"):
            item["origin_request"] = origin_request_option(rule["originRequest"])
        out.append(item)
    return out


def canonical(value):
    """Drop empty values recursively; hostnames compare in lower case."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = canonical(item)
            if item in (None, "", {}, []):
                continue
            if key == "hostname" and isinstance(item, str):
                item = item.lower().rstrip(".")
            out[key] = item
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def hostnames(wire):
    return [rule["hostname"] for rule in wire or [] if rule.get("hostname")]


def check_secret(value):
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ConfigError("tunnel_secret: must be base64 (of at least 32 random bytes)")
    if len(raw) < 32:
        raise ConfigError("tunnel_secret: must encode at least 32 bytes, it encodes %d" % len(raw))
    return value


def secret_of_token(token):
    """The secret inside a tunnel token (base64 of JSON {a, t, s}); None when it cannot be read."""
    try:
        text = token + "=" * (-len(token) % 4)
        return json.loads(base64.b64decode(text)).get("s")
    except (ValueError, TypeError, AttributeError, binascii.Error):
        return None
