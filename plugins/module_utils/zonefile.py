# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BIND zone files in and out.

parse_zone() turns zone-file text into record dicts in the shape the DNS modules take
({name, type, content, ttl, proxied}); render_zone() writes canonical records (dns_types) back as BIND text.
"""

from __future__ import annotations

import re

from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import (
    TYPES, absolute_rdata, hostname, presentation,
)

CLASSES = ("IN", "CH", "HS", "CS")
SKIPPED_TYPES = {"SOA": "SOA is managed by Cloudflare"}
TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
TTL_TOKEN = re.compile(r"^(?:\d+|(?:\d+[smhdw])+)$", re.IGNORECASE)
CF_TAGS = re.compile(r"cf_tags=(\S+)")


class ZoneFileError(ValueError):
    def __init__(self, line, message):
        super(ZoneFileError, self).__init__("zone file line %d: %s" % (line, message))
        self.line = line


class _Entry(object):
    """One logical line: its tokens (quoted strings kept with their quotes), the comment text, and whether
    the owner field was left blank."""

    def __init__(self, line, blank_owner):
        self.line = line
        self.blank_owner = blank_owner
        self.tokens = []
        self.comment = ""


_NEEDS_SCAN = re.compile(r'["\\()]')
_BLANKS = re.compile(r"[ \t\r]+")


def _entries(text):
    """Split zone text into logical lines, joining parentheses across lines and honouring quotes and ';'.

    A line without quotes, backslashes or parentheses before its comment (most lines) is split directly; the
    others go through the character scanner, which also joins parenthesised continuation lines."""
    entries = []
    pos, line, n = 0, 1, len(text)
    while pos < n:
        end = text.find("\n", pos)
        end = n if end < 0 else end
        raw = text[pos:end]
        code, sep, comment = raw.partition(";")
        if _NEEDS_SCAN.search(code):
            found, pos, line = _scan_entry(text, pos, line)
            entries.extend(found)
            continue
        tokens = [token for token in _BLANKS.split(code) if token]
        if tokens:
            entry = _Entry(line, raw[:1] in (" ", "\t"))
            entry.tokens = tokens
            entry.comment = comment.strip() if sep else ""
            entries.append(entry)
        pos, line = end + 1, line + 1
    return entries


def _scan_entry(text, i, line):
    """Character scanner from text[i] to the end of one logical line (a newline outside parentheses).
    Returns ([entry] or [], index after it, line number after it)."""
    entries, entry, token = [], None, None
    depth, n = 0, len(text)
    at_line_start = True

    def flush():
        if token is not None:
            entry.tokens.append("".join(token))
        return None

    while i < n:
        char = text[i]
        if entry is None:
            entry = _Entry(line, at_line_start and char in " \t")
        at_line_start = False
        if char == '"':
            end = _quoted_end(text, i, line)
            token = (token or []) + [text[i:end]]
            i = end
            continue
        if char == "\\" and i + 1 < n:
            token = (token or []) + [text[i:i + 2]]
            i += 2
            continue
        if char in " \t\r()":
            token = flush()
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                raise ZoneFileError(line, "')' without '('")
        elif char == ";":
            token = flush()
            end = text.find("\n", i)
            end = n if end < 0 else end
            entry.comment = (entry.comment + " " + text[i + 1:end]).strip()
            i = end
            continue
        elif char == "\n":
            token = flush()
            line += 1
            at_line_start = True
            if depth == 0:
                if entry.tokens:
                    entries.append(entry)
                return entries, i + 1, line
        else:
            token = (token or []) + [char]
        i += 1
    if entry is not None:
        flush()
        if depth:
            raise ZoneFileError(entry.line, "'(' is never closed")
        if entry.tokens:
            entries.append(entry)
    return entries, i, line


def _quoted_end(text, i, line):
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == '"':
            return j + 1
        if text[j] == "\n":
            break
        j += 1
    raise ZoneFileError(line, "unterminated quoted string")


def ttl_seconds(token):
    """'3600', '1h' or '1h30m' in seconds; None when the token is not a TTL."""
    if not TTL_TOKEN.match(token):
        return None
    if token.isdigit():
        return int(token)
    return sum(int(num) * TTL_UNITS[unit.lower()] for num, unit in re.findall(r"(\d+)([a-zA-Z])", token))


def _absolute(name, origin, line):
    if name == "@":
        if origin is None:
            raise ZoneFileError(line, "'@' used before $ORIGIN")
        return origin
    if name.endswith("."):
        base = name
    elif origin is None:
        raise ZoneFileError(line, "relative name %r used before $ORIGIN" % name)
    else:
        base = name + "." + origin
    try:
        return hostname(base, allow_wildcard=True)
    except ValueError as exc:
        raise ZoneFileError(line, "name %r %s" % (name, exc))


def _proxied(comment):
    match = CF_TAGS.search(comment)
    return bool(match) and "cf-proxied:true" in match.group(1).split(",")


def parse_zone(text, origin=None, default_ttl=None):
    """Parse BIND text.  Returns (records, skipped): records as {name, type, content, ttl, proxied} dicts with
    absolute names, skipped as {line, name, type, reason} for records Cloudflare manages itself (SOA).

    Supports $ORIGIN, $TTL, '@', relative and blank owners, optional class and TTL in either order, TTL units,
    parentheses, quoted strings with escapes, comments, and Cloudflare's '; cf_tags=cf-proxied:true' marks.
    $INCLUDE and $GENERATE are refused.  Raises ZoneFileError naming the line."""
    origin = hostname(origin) if origin else None
    records, skipped = [], []
    owner, last_ttl = None, None
    for entry in _entries(text):
        tokens = list(entry.tokens)
        head = tokens[0].upper()
        if head.startswith("$"):
            origin, default_ttl = _directive(entry, head, tokens, origin, default_ttl)
            continue
        if entry.blank_owner:
            if owner is None:
                raise ZoneFileError(entry.line, "the first record has no owner name")
        else:
            owner = _absolute(tokens.pop(0), origin, entry.line)
        ttl, rclass = None, None
        while tokens and len(tokens) > 1:
            if ttl is None and ttl_seconds(tokens[0]) is not None:
                ttl = ttl_seconds(tokens.pop(0))
            elif rclass is None and tokens[0].upper() in CLASSES:
                rclass = tokens.pop(0).upper()
            else:
                break
        if rclass not in (None, "IN"):
            raise ZoneFileError(entry.line, "class %s is not supported, only IN" % rclass)
        if not tokens:
            raise ZoneFileError(entry.line, "record has no type")
        rtype = tokens.pop(0).upper()
        if rtype in SKIPPED_TYPES:
            skipped.append({"line": entry.line, "name": owner, "type": rtype, "reason": SKIPPED_TYPES[rtype]})
            continue
        if rtype not in TYPES:
            raise ZoneFileError(entry.line, "type %s is not supported by Cloudflare" % rtype)
        if not tokens:
            raise ZoneFileError(entry.line, "%s record has no data" % rtype)
        if ttl is None:
            ttl = default_ttl if default_ttl is not None else last_ttl
        if ttl is None:
            raise ZoneFileError(entry.line, "record has no TTL and there is no $TTL")
        last_ttl = ttl
        records.append({
            "name": owner,
            "type": rtype,
            "content": absolute_rdata(rtype, " ".join(tokens), origin),
            "ttl": ttl,
            "proxied": _proxied(entry.comment),
        })
    return records, skipped


def _directive(entry, head, tokens, origin, default_ttl):
    if head in ("$INCLUDE", "$GENERATE"):
        raise ZoneFileError(entry.line, "%s is not supported: expand it into the file first" % head)
    if len(tokens) < 2:
        raise ZoneFileError(entry.line, "%s needs a value" % head)
    if head == "$ORIGIN":
        return _absolute(tokens[1], origin, entry.line), default_ttl
    if head == "$TTL":
        ttl = ttl_seconds(tokens[1])
        if ttl is None:
            raise ZoneFileError(entry.line, "$TTL %r is not a TTL" % tokens[1])
        return origin, ttl
    raise ZoneFileError(entry.line, "unknown directive %s" % head)


def render_zone(records, zone):
    """BIND text for canonical records (dns_types.record_from_api / normalise_record): absolute owner names,
    and the '; cf_tags=cf-proxied:true' mark Cloudflare's own export uses for proxied records."""
    zone = hostname(zone)
    lines = ["$ORIGIN %s." % zone]
    for rec in records:
        line = "%s.\t%d\tIN\t%s\t%s" % (rec["name"], rec.get("ttl") or 1, rec["type"], presentation(rec))
        if rec.get("proxied"):
            line += " ; cf_tags=cf-proxied:true"
        lines.append(line)
    return "\n".join(lines) + "\n"
