# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparison by meaning: how Cloudflare rewrites what it is sent, so desired and actual compare equal.

Record-type specifics live in dns_types.py; this module holds what every resource shares.
"""

from __future__ import annotations

import ipaddress


def hostname(value):
    """A DNS name as the API stores it: lower case, no trailing dot."""
    if value is None:
        return None
    return value.strip().rstrip(".").lower()


def fqdn(name, zone):
    """A record name inside ``zone`` as the API returns it: '@' and relative names become the FQDN."""
    zone = hostname(zone)
    name = (name or "@").strip()
    if name == "@" or name.rstrip(".").lower() == zone:
        return zone
    if name.endswith("."):
        return hostname(name)
    name = name.lower()
    if name.endswith("." + zone):
        return name
    return "%s.%s" % (name, zone)


def in_zone(name, zone):
    name, zone = hostname(name), hostname(zone)
    return name == zone or name.endswith("." + zone)


def ip_address(value):
    """An IPv4/IPv6 address in canonical (compressed, lower-case) form; the input unchanged when it is not one."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except (ValueError, AttributeError):
        return value


def ip_network(value):
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except (ValueError, AttributeError):
        return value


def _empty(value):
    return value is None or value == {} or value == [] or value == ""


def same(desired, actual, default=None):
    """True when ``actual`` means ``desired``. Keys absent from a desired dict are not compared; an actual value
    missing or empty compares equal to an empty or default desired value; 10 == 10.0; bools are not numbers."""
    if actual is None and default is not None:
        actual = default
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return _empty(actual) and all(_empty(v) for v in desired.values())
        defaults = default if isinstance(default, dict) else {}
        return all(same(v, actual.get(k), defaults.get(k)) for k, v in desired.items() if v is not None)
    if isinstance(desired, list):
        if _empty(actual):
            return len(desired) == 0
        if not isinstance(actual, list) or len(actual) != len(desired):
            return False
        return all(same(d, a) for d, a in zip(desired, actual))
    if _empty(desired) and _empty(actual):
        return True
    if isinstance(desired, bool) or isinstance(actual, bool):
        return desired is actual
    if isinstance(desired, (int, float)) and isinstance(actual, (int, float)):
        return float(desired) == float(actual)
    return desired == actual


def differences(desired, actual, defaults=None):
    """The top-level keys of ``desired`` (set, not None) whose value ``actual`` does not mean."""
    defaults = defaults or {}
    actual = actual or {}
    return sorted(k for k, v in desired.items()
                  if v is not None and not same(v, actual.get(k), defaults.get(k)))


def sorted_by(items, key):
    """A list of dicts in a stable order, for fields whose order the API does not keep (pool origins by name)."""
    return sorted(items or [], key=lambda item: str(item.get(key, "")).lower())
