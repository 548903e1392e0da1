# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS record types as Cloudflare sees them: parse, validate, compare by meaning, and build the wire body.

One table entry per record type drives everything, so the dns_record / dns_records modules never do anything
record-type-specific.  A *canonical* record is a plain dict::

    {"name": "www.example.org",        # FQDN, lower case, Punycode, no trailing dot
     "type": "A",
     "content": "192.0.2.1",           # the content string Cloudflare shows (derived from data for data types)
     "content_key": "192.0.2.1",       # canonical value that identifies the record (see identity())
     "data": None | {...},             # data-based types: the SDK ``data`` keys, numbers as int
     "priority": None | int,           # MX and URI only (Cloudflare keeps it top level)
     "ttl": None | int,                # 1 = automatic
     "proxied": None | bool,
     "comment": None | str,            # "" = no comment
     "tags": None | [str],             # sorted "name:value" / "name", names lower case
     "settings": None | {...}}         # every setting of the type, defaults filled in

A field that is None in a desired record is not managed: differs() ignores it and merged() keeps the existing
value.  Records read from the API have every field set (plus "id").
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re

TTL_MAX = 86400
DEFAULT_MIN_TTL = 60
DEFAULT_MAX_COMMENT = 500
PROXIABLE = ("A", "AAAA", "CNAME")
CAA_TAGS = ("issue", "issuewild", "iodef", "issuemail", "issuevmc")
CERT_TYPES = {"PKIX": 1, "SPKI": 2, "PGP": 3, "IPKIX": 4, "ISPKI": 5, "IPGP": 6, "ACPKIX": 7, "IACPKIX": 8,
              "URI": 253, "OID": 254}
# RFC 9460 key numbers: the wire format orders SvcParams by key, so the order a user writes them in means nothing.
SVC_KEYS = {"mandatory": 0, "alpn": 1, "no-default-alpn": 2, "port": 3, "ipv4hint": 4, "ech": 5, "ipv6hint": 6}
HEX_LENGTHS = {
    "DS": ("digest_type", "digest", {1: 40, 2: 64, 3: 64, 4: 96}),
    "SSHFP": ("type", "fingerprint", {1: 40, 2: 64}),
    "TLSA": ("matching_type", "certificate", {1: 64, 2: 128}),
    "SMIMEA": ("matching_type", "certificate", {1: 64, 2: 128}),
}
U8 = (0, 255)
U16 = (0, 65535)
LABEL = re.compile(r"^[a-z0-9_-]{1,63}$")
TAG_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
SVC_PARAM = re.compile(r'([A-Za-z0-9-]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?(?:\s+|$)')
TTL_HINT = "use 1 (automatic) or %d..%d"


class RecordError(ValueError):
    """A record that cannot be sent to Cloudflare; ``field`` names the offending option (e.g. ``data.port``)."""

    def __init__(self, field, message):
        super(RecordError, self).__init__(message)
        self.field = field
        self.message = message


class _FieldError(Exception):
    def __init__(self, field, message):
        super(_FieldError, self).__init__(message)
        self.field = field
        self.message = message


# ---------------------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------------------

def _ascii_name(value):
    name = str(value).strip().lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("is not a valid domain name")
    return name


# A name already in canonical form (lower case, ASCII labels, at most one trailing dot): the common case, and the
# result the slow path would give, found with one regex (zones of 10,000 records call hostname() ~50,000 times).
_CANONICAL_NAME = re.compile(r"(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}\.?")


def hostname(value, allow_root=False, allow_wildcard=False):
    """Canonical host name: lower case, Punycode, no trailing dot.  Raises ValueError with the reason."""
    if isinstance(value, str) and len(value) <= 254 and _CANONICAL_NAME.fullmatch(value):
        name = value[:-1] if value.endswith(".") else value
        if len(name) <= 253:
            return name
    name = _ascii_name(value)
    if name == "." and allow_root:
        return "."
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if not name or len(name) > 253:
        raise ValueError("is not a valid host name")
    for index, label in enumerate(labels):
        if not (LABEL.match(label) or (allow_wildcard and index == 0 and label == "*")):
            raise ValueError("is not a valid host name")
    return name


def record_fqdn(name, zone):
    """The FQDN of a record name given as '@', relative ('www'), absolute ('www.example.org') or 'www.example.org.'."""
    zone = hostname(zone)
    raw = "@" if name is None else str(name).strip()
    if raw in ("", "@"):
        return zone
    absolute = raw.endswith(".")
    fqdn = hostname(raw, allow_wildcard=True)
    if fqdn == zone or fqdn.endswith("." + zone):
        return fqdn
    if absolute:
        raise ValueError("is not inside zone %s" % zone)
    return fqdn + "." + zone


def relative_name(fqdn, zone):
    """'@' for the apex, otherwise the part of the name before the zone."""
    zone = hostname(zone)
    if fqdn == zone:
        return "@"
    if fqdn.endswith("." + zone):
        return fqdn[:-len(zone) - 1]
    return fqdn


def _qualify(token, origin):
    """A zone-file host name made absolute against origin (no trailing dot); '.' stays the root."""
    if token == "@":
        return origin
    if token == "." or token.endswith("."):
        return token if token == "." else token[:-1]
    return token + "." + origin


# ---------------------------------------------------------------------------------------------------------------
# Presentation-format tokens and character-strings
# ---------------------------------------------------------------------------------------------------------------

def split_tokens(text):
    """Split presentation text into (value, raw) tokens.  A token starting with '"' is a character-string whose
    value is unescaped; a quote inside a bare token (alpn="h3,h2") runs to its closing quote."""
    tokens = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        if text[i] == '"':
            i, value = _read_quoted(text, i)
            tokens.append((value, text[start:i]))
            continue
        while i < n and not text[i].isspace():
            if text[i] == '"':
                i = _read_quoted(text, i)[0]
            else:
                i += 2 if text[i] == "\\" else 1
        tokens.append((text[start:i], text[start:i]))
    return tokens


def _read_quoted(text, i):
    """Read the character-string opening at text[i]; return (index after it, unescaped value)."""
    out = bytearray()
    i += 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return i + 1, out.decode("utf-8", "surrogateescape")
        if char == "\\" and i + 1 < len(text):
            digits = text[i + 1:i + 4]
            if len(digits) == 3 and digits.isdigit() and int(digits) < 256:
                out.append(int(digits))
                i += 4
                continue
            char = text[i + 1]
            i += 1
        out.extend(char.encode("utf-8", "surrogateescape"))
        i += 1
    raise ValueError("has an unterminated quoted string")


_PLAIN_STRING = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")


def quote(value):
    """One RFC 1035 character-string: quotes and backslashes escaped, control bytes as \\DDD."""
    if _PLAIN_STRING.fullmatch(value):
        return '"%s"' % value  # printable ASCII without quote or backslash: nothing to escape
    out = []
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 32 or code == 127:
            out.append("\\%03d" % code)
        elif 0xDC80 <= code <= 0xDCFF:
            out.append("\\%03d" % (code - 0xDC00))
        else:
            out.append(char)
    return '"%s"' % "".join(out)


def txt_value(content):
    """The meaning of TXT content: the joined character-strings if it is written quoted, else the text itself."""
    text = str(content)
    if not text.strip().startswith('"'):
        return text
    return "".join(value for value, _raw in split_tokens(text))


def txt_content(value):
    """TXT content the way Cloudflare stores it: quoted strings of at most 255 bytes each."""
    if value.isascii():  # one byte a character: plain slices
        return " ".join(quote(value[i:i + 255]) for i in range(0, max(len(value), 1), 255))
    chunks, current, size = [], [], 0
    for char in value:
        width = len(char.encode("utf-8", "surrogateescape"))
        if size + width > 255:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    chunks.append("".join(current))
    return " ".join(quote(chunk) for chunk in chunks)


# ---------------------------------------------------------------------------------------------------------------
# Field kinds: canonical(value) raises ValueError("<reason>"); present(value, zone) gives the presentation token
# ---------------------------------------------------------------------------------------------------------------

def _number(value):
    if isinstance(value, bool):
        raise ValueError("is not a number")
    if isinstance(value, (int, float)):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError("is not a number")


def _int(value):
    number = _number(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError("is not a whole number")
        number = int(number)
    return number


def _decimal(value):
    number = round(float(_number(value)), 3)
    return int(number) if number.is_integer() else number


def _fmt_decimal(value):
    return str(value) if isinstance(value, int) else ("%.3f" % value).rstrip("0").rstrip(".")


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(r"%s(?:\.%s){3}" % (_OCTET, _OCTET))


def _ipv4(value):
    if isinstance(value, str) and _CANONICAL_IPV4.fullmatch(value):
        return value  # already what ipaddress would print (no leading zeros, no spaces)
    try:
        return str(ipaddress.IPv4Address(str(value).strip()))
    except ValueError:
        raise ValueError("is not a valid IPv4 address")


def _ipv6(value):
    try:
        return ipaddress.IPv6Address(str(value).strip()).compressed
    except ValueError:
        raise ValueError("is not a valid IPv6 address")


def _host(value):
    return hostname(value)


def _target(value):
    return hostname(value, allow_root=True)


def _hex(value):
    digits = re.sub(r"\s+", "", str(value)).upper()
    if not digits or not re.match(r"^[0-9A-F]+$", digits) or len(digits) % 2:
        raise ValueError("is not an even number of hexadecimal digits")
    return digits


def _b64(value):
    text = re.sub(r"\s+", "", str(value))
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64")
    if not text:
        raise ValueError("is not valid base64")
    return text


def _cstr(value):
    text = str(value)
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return txt_value(text)
    return text


def _caa_tag(value):
    tag = str(value).strip().lower()
    if tag not in CAA_TAGS:
        raise ValueError("is not a CAA tag (use one of %s)" % ", ".join(CAA_TAGS))
    return tag


def _naptr_flags(value):
    flags = _cstr(value).upper()
    if not re.match(r"^[A-Z0-9]*$", flags):
        raise ValueError("must be letters and digits only")
    return flags


def _cert_type(value):
    text = str(value).strip().upper()
    return CERT_TYPES[text] if text in CERT_TYPES else _int(value)


def _direction(letters):
    def canonical(value):
        text = str(value).strip().upper()
        if text not in letters:
            raise ValueError("must be %s" % " or ".join(letters))
        return text
    return canonical


def _svc(value):
    text = str(value).strip()
    params, pos = [], 0
    while pos < len(text):
        match = SVC_PARAM.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError("is not a list of key=value service parameters")
        key = match.group(1).lower()
        if key not in SVC_KEYS and not re.match(r"^key\d+$", key):
            raise ValueError("has an unknown service parameter %r" % key)
        raw = match.group(2)
        params.append((key, None if raw is None else _cstr(raw)))
        pos = match.end()
    params.sort(key=lambda item: _svc_number(item[0]))
    return " ".join(key if val is None else "%s=%s" % (key, quote(val)) for key, val in params)


def _svc_number(key):
    return SVC_KEYS[key] if key in SVC_KEYS else int(key[3:])


def _txt(value):
    return txt_value(value)


def _same(value, zone=False):
    return str(value)


def _fmt_host(value, zone=False):
    return value + "." if zone and value != "." else value


def _fmt_quoted(value, zone=False):
    return quote(value)


def _fmt_txt(value, zone=False):
    return txt_content(value)


def _fmt_num(value, zone=False):
    return _fmt_decimal(value)


# kind -> (canonical, present, takes the rest of the tokens)
KINDS = {
    "int": (_int, _same, False),
    "num": (_decimal, _fmt_num, False),
    "ipv4": (_ipv4, _same, False),
    "ipv6": (_ipv6, _same, False),
    "host": (_host, _fmt_host, False),
    "target": (_target, _fmt_host, False),
    "hex": (_hex, _same, True),
    "b64": (_b64, _same, True),
    "cstr": (_cstr, _fmt_quoted, False),
    "caa_tag": (_caa_tag, _same, False),
    "naptr_flags": (_naptr_flags, _fmt_quoted, False),
    "cert_type": (_cert_type, _same, False),
    "ns": (_direction("NS"), _same, False),
    "ew": (_direction("EW"), _same, False),
    "svc": (_svc, _same, True),
    "txt": (_txt, _fmt_txt, True),
}
# Kinds whose value may be empty: TXT "" and HTTPS/SVCB without service parameters (alias mode).
MAY_BE_EMPTY = ("txt", "svc")


class Field(object):
    def __init__(self, key, kind, limits=None):
        self.key = key
        self.kind = kind
        self.limits = limits

    @property
    def rest(self):
        return KINDS[self.kind][2]

    def canonical(self, value):
        result = KINDS[self.kind][0](value)
        if self.limits and not self.limits[0] <= result <= self.limits[1]:
            raise ValueError("is out of range %s..%s" % tuple(_fmt_decimal(x) for x in self.limits))
        return result

    def present(self, value, zone=False):
        return KINDS[self.kind][1](value, zone)


# ---------------------------------------------------------------------------------------------------------------
# Per-type checks that span fields or look at the record name
# ---------------------------------------------------------------------------------------------------------------

def _check_srv(values, name):
    labels = name.split(".")
    if len(labels) < 3 or not (labels[0].startswith("_") and labels[1].startswith("_")):
        raise _FieldError("name", "an SRV record name must look like _service._proto[.name], not %r" % name)


def _check_tlsa(values, name):
    labels = name.split(".")
    if len(labels) < 3 or not (re.match(r"^_\d+$", labels[0]) or labels[0] == "*") or not labels[1].startswith("_"):
        raise _FieldError("name", "a TLSA record name must look like _port._proto.host, not %r" % name)
    _check_hex_length("TLSA", values)


def _check_smimea(values, name):
    labels = name.split(".")
    if len(labels) < 3 or labels[1] != "_smimecert":
        raise _FieldError("name", "an SMIMEA record name must look like <hash>._smimecert.domain, not %r" % name)
    _check_hex_length("SMIMEA", values)


def _check_hex_length(rtype, values):
    selector, key, lengths = HEX_LENGTHS[rtype]
    want = lengths.get(values[selector])
    if want and len(values[key]) != want:
        raise _FieldError("data." + key, "%s must be %d hexadecimal digits for %s %d, got %d"
                          % (key, want, selector, values[selector], len(values[key])))


def _hex_length(rtype):
    def check(values, name):
        _check_hex_length(rtype, values)
    return check


def _check_caa(values, name):
    if values["tag"] == "iodef" and not re.match(r"^(mailto:|https?://)", values["value"]):
        raise _FieldError("data.value", "an iodef CAA value must be a mailto:, http:// or https:// URL")


# ---------------------------------------------------------------------------------------------------------------
# LOC has optional presentation fields and units, so it has its own parser and formatter
# ---------------------------------------------------------------------------------------------------------------

LOC_DEFAULTS = {"lat_minutes": 0, "lat_seconds": 0, "long_minutes": 0, "long_seconds": 0, "altitude": 0,
                "size": 1, "precision_horz": 10000, "precision_vert": 10}
LOC_METRES = ("altitude", "size", "precision_horz", "precision_vert")


def _loc_tokens(tokens):
    """'52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m' (minutes, seconds and sizes optional)."""
    words = [value for value, _raw in tokens]
    values, pos = {}, 0
    for axis, letters in (("lat", "NS"), ("long", "EW")):
        parts = []
        while pos < len(words) and words[pos].upper() not in letters:
            parts.append(words[pos])
            pos += 1
        if not 1 <= len(parts) <= 3 or pos >= len(words):
            raise ValueError("is not LOC presentation (d [m [s]] N|S d [m [s]] E|W alt[m] ...)")
        for suffix, part in zip(("degrees", "minutes", "seconds"), parts):
            values["%s_%s" % (axis, suffix)] = part
        values[axis + "_direction"] = words[pos]
        pos += 1
    rest = words[pos:]
    if not 1 <= len(rest) <= 4:
        raise ValueError("is not LOC presentation: altitude is required, then up to three sizes")
    for key, word in zip(LOC_METRES, rest):
        values[key] = word[:-1] if word.lower().endswith("m") else word
    return values


def _loc_present(values, zone=False):
    words = []
    for axis in ("lat", "long"):
        words += [str(values[axis + "_degrees"]), str(values[axis + "_minutes"]),
                  _fmt_decimal(values[axis + "_seconds"]), values[axis + "_direction"]]
    words += [_fmt_decimal(values[key]) + "m" for key in LOC_METRES]
    return " ".join(words)


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------

class RecordType(object):
    """fields: presentation order.  top: fields Cloudflare keeps outside ``data``.  attrs: fields that are
    attributes of a record rather than part of its identity.  hide: fields Cloudflare leaves out of ``content``."""

    def __init__(self, name, fields, data=False, top=(), attrs=(), hide=(), check=None, settings=(),
                 defaults=None, tokens=None, present=None):
        self.name = name
        self.fields = fields
        self.data = data
        self.top = top
        self.attrs = attrs
        self.hide = hide
        self.check = check
        self.settings = ("ipv4_only", "ipv6_only") + settings
        self.defaults = defaults or {}
        self.tokens = tokens
        self.custom_present = present
        self.proxiable = name in PROXIABLE

    @property
    def keys(self):
        return [field.key for field in self.fields]

    @property
    def data_keys(self):
        return [key for key in self.keys if key not in self.top]

    @property
    def shown(self):
        return [field for field in self.fields if field.key not in self.top + self.hide]

    def present(self, values, fields=None, zone=False):
        if self.custom_present:
            return self.custom_present(values, zone)
        words = [field.present(values[field.key], zone) for field in (fields or self.fields)]
        return " ".join(word for word in words if word)

    def content_key(self, values):
        return self.present(values, [field for field in self.fields if field.key not in self.attrs])


def _fields(*specs):
    return [Field(*spec) for spec in specs]


_TLSA_FIELDS = (("usage", "int", U8), ("selector", "int", U8), ("matching_type", "int", U8),
                ("certificate", "hex"))
_SVCB_FIELDS = (("priority", "int", U16), ("target", "target"), ("value", "svc"))
_LOC_FIELDS = (("lat_degrees", "int", (0, 90)), ("lat_minutes", "int", (0, 59)), ("lat_seconds", "num", (0, 59.999)),
               ("lat_direction", "ns"), ("long_degrees", "int", (0, 180)), ("long_minutes", "int", (0, 59)),
               ("long_seconds", "num", (0, 59.999)), ("long_direction", "ew"),
               ("altitude", "num", (-100000, 42849672.95)), ("size", "num", (0, 90000000)),
               ("precision_horz", "num", (0, 90000000)), ("precision_vert", "num", (0, 90000000)))

TYPES = dict((t.name, t) for t in (
    RecordType("A", _fields(("content", "ipv4"))),
    RecordType("AAAA", _fields(("content", "ipv6"))),
    RecordType("CNAME", _fields(("content", "host")), settings=("flatten_cname",)),
    RecordType("NS", _fields(("content", "host"))),
    RecordType("PTR", _fields(("content", "host"))),
    RecordType("MX", _fields(("priority", "int", U16), ("content", "target")), top=("priority",),
               attrs=("priority",)),
    RecordType("TXT", _fields(("content", "txt"))),
    RecordType("OPENPGPKEY", _fields(("content", "b64"))),
    RecordType("SRV", _fields(("priority", "int", U16), ("weight", "int", U16), ("port", "int", U16),
                              ("target", "target")),
               data=True, attrs=("priority", "weight"), hide=("priority",), check=_check_srv),
    RecordType("URI", _fields(("priority", "int", U16), ("weight", "int", U16), ("target", "cstr")),
               data=True, top=("priority",), attrs=("priority", "weight")),
    RecordType("CAA", _fields(("flags", "int", U8), ("tag", "caa_tag"), ("value", "cstr")), data=True,
               check=_check_caa),
    RecordType("HTTPS", _fields(*_SVCB_FIELDS), data=True),
    RecordType("SVCB", _fields(*_SVCB_FIELDS), data=True),
    RecordType("DS", _fields(("key_tag", "int", U16), ("algorithm", "int", U8), ("digest_type", "int", U8),
                             ("digest", "hex")), data=True, check=_hex_length("DS")),
    RecordType("DNSKEY", _fields(("flags", "int", U16), ("protocol", "int", U8), ("algorithm", "int", U8),
                                 ("public_key", "b64")), data=True),
    RecordType("CERT", _fields(("type", "cert_type", U16), ("key_tag", "int", U16), ("algorithm", "int", U8),
                               ("certificate", "b64")), data=True),
    RecordType("SSHFP", _fields(("algorithm", "int", U8), ("type", "int", U8), ("fingerprint", "hex")), data=True,
               check=_hex_length("SSHFP")),
    RecordType("TLSA", _fields(*_TLSA_FIELDS), data=True, check=_check_tlsa),
    RecordType("SMIMEA", _fields(*_TLSA_FIELDS), data=True, check=_check_smimea),
    RecordType("NAPTR", _fields(("order", "int", U16), ("preference", "int", U16), ("flags", "naptr_flags"),
                                ("service", "cstr"), ("regex", "cstr"), ("replacement", "target")),
               data=True, attrs=("order", "preference")),
    RecordType("LOC", _fields(*_LOC_FIELDS), data=True, defaults=LOC_DEFAULTS, tokens=_loc_tokens,
               present=_loc_present),
))


def record_type(name):
    spec = TYPES.get(str(name or "").strip().upper())
    if spec is None:
        raise _FieldError("type", "type %r is not one of %s" % (name, ", ".join(sorted(TYPES))))
    return spec


# ---------------------------------------------------------------------------------------------------------------
# From presentation / data to canonical field values
# ---------------------------------------------------------------------------------------------------------------

def _tokens_to_raw(spec, content):
    """Map content tokens to field names.  Content may omit the fields Cloudflare keeps outside it (MX and URI
    priority, SRV priority), which is how the API shows it."""
    if spec.keys == ["content"]:
        return {"content": content}
    tokens = split_tokens(content)
    if spec.tokens:
        return spec.tokens(tokens)
    fields = spec.fields
    if len(tokens) == len(spec.shown) and len(spec.shown) < len(fields):
        fields = spec.shown
    least = len(fields) - (1 if fields[-1].kind in MAY_BE_EMPTY else 0)
    if len(tokens) < least or (len(tokens) > len(fields) and not fields[-1].rest):
        raise ValueError("needs %d fields (%s), got %d" % (len(fields), " ".join(f.key for f in fields),
                                                           len(tokens)))
    raw = dict((field.key, value) for field, (value, _raw) in zip(fields, tokens))
    last = fields[-1]
    if last.rest and last.key not in raw and last.kind in MAY_BE_EMPTY:
        raw[last.key] = ""
    elif last.rest:
        rest = tokens[len(fields) - 1:]
        raw[last.key] = " ".join(r for _v, r in rest) if last.kind == "svc" else "".join(v for v, _r in rest)
    return raw


def _canonical_values(spec, raw, source):
    """Canonical value of every field; source 'content' or 'data' decides how errors name the field."""
    values = {}
    for field in spec.fields:
        label, option = _label(field.key, source, spec)
        value = raw.get(field.key, spec.defaults.get(field.key))
        if value is None or (isinstance(value, str) and not value.strip() and field.kind not in MAY_BE_EMPTY):
            raise _FieldError(option, "%s is required" % label)
        try:
            values[field.key] = field.canonical(value)
        except ValueError as exc:
            raise _FieldError(option, "%s %r %s" % (label, value, exc))
    return values


def _label(key, source, spec):
    """(text used in the message, option name reported as RecordError.field)."""
    if key in spec.top:
        return key, key
    if source == "content" or not spec.data:
        return ("content" if key == "content" else "content field %s" % key), "content"
    return "data." + key, "data." + key


def _raw_from_input(spec, given, zone):
    """Field values as the user wrote them, from content or data, plus a replacement name for legacy SRV data."""
    content, data, new_name = given.get("content"), given.get("data"), None
    if content is not None and data is not None:
        raise _FieldError("data", "give either content or data, not both")
    if data is not None and not spec.data:
        raise _FieldError("data", "type %s takes content, not data" % spec.name)
    if data is not None:
        if not isinstance(data, dict):
            raise _FieldError("data", "data must be a dictionary")
        raw = dict(data)
        if spec.name == "SRV":
            new_name = _srv_legacy_name(raw, given.get("name"), zone)
        unknown = sorted(set(raw) - set(spec.keys))
        if unknown:
            raise _FieldError("data." + unknown[0], "data.%s is not a %s field (use %s)"
                              % (unknown[0], spec.name, ", ".join(spec.data_keys)))
        source = "data"
    else:
        if content is None:
            raise _FieldError("content", "content (or data) is required")
        try:
            raw = _tokens_to_raw(spec, str(content))
        except ValueError as exc:
            raise _FieldError("content", "content %r %s" % (content, exc))
        source = "content"
    if "priority" in given:
        if "priority" not in spec.keys:
            raise _FieldError("priority", "priority applies only to MX, SRV, URI, HTTPS and SVCB records")
        if raw.get("priority") is not None and str(raw["priority"]) != str(given["priority"]):
            raise _FieldError("priority", "priority %s disagrees with %s in %s"
                              % (given["priority"], raw["priority"], source))
        raw["priority"] = given["priority"]
    if source == "content" and any(raw.get(key) is None for key in spec.hide):
        fields = " ".join(spec.keys)
        raise _FieldError("content", "content %r needs %d fields (%s)" % (content, len(spec.fields), fields))
    return raw, source, new_name


def _srv_legacy_name(raw, name, zone):
    """The old API took data.service/proto/name; fold them into the record name, which is what the API wants now."""
    service, proto, host = raw.pop("service", None), raw.pop("proto", None), raw.pop("name", None)
    if service is None and proto is None:
        if host is not None:
            raise _FieldError("data.name", "data.name is only meaningful together with data.service and data.proto")
        return None
    if not service or not proto:
        raise _FieldError("data.service", "data.service and data.proto must be given together")
    base = record_fqdn(host if host is not None else name, zone)
    labels = ["_" + str(part).lstrip("_") for part in (service, proto)]
    return ".".join(labels + [base])


# ---------------------------------------------------------------------------------------------------------------
# Record attributes: ttl, proxied, comment, tags, settings
# ---------------------------------------------------------------------------------------------------------------

def _ttl(value, min_ttl):
    try:
        ttl = _int(value)
    except ValueError:
        raise _FieldError("ttl", "ttl %r is not a whole number" % (value,))
    if ttl != 1 and not min_ttl <= ttl <= TTL_MAX:
        raise _FieldError("ttl", "ttl %d is out of range: %s" % (ttl, TTL_HINT % (min_ttl, TTL_MAX)))
    return ttl


def _bool(value, option):
    if not isinstance(value, bool):
        raise _FieldError(option, "%s must be true or false, not %r" % (option, value))
    return value


def _comment(value, max_comment):
    text = str(value)
    if "\n" in text or "\r" in text:
        raise _FieldError("comment", "comment must be a single line")
    if len(text) > max_comment:
        raise _FieldError("comment", "comment is %d characters long, the limit is %d" % (len(text), max_comment))
    return text


def canonical_tag(tag):
    name, sep, value = str(tag).partition(":")
    return name.lower() + (":" + value if sep and value else "")


def _tags(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _FieldError("tags", "tags must be a list of 'name:value' strings")
    tags = set()
    for tag in value:
        name, _sep, tag_value = str(tag).partition(":")
        if not TAG_NAME.match(name):
            raise _FieldError("tags", "tag %r must look like name:value with a name of letters, digits, - and _"
                              % (tag,))
        if "\n" in tag_value or "\r" in tag_value:
            raise _FieldError("tags", "tag %r must be a single line" % (tag,))
        tags.add(canonical_tag(tag))
    return sorted(tags)


def _settings(spec, value):
    if not isinstance(value, dict):
        raise _FieldError("settings", "settings must be a dictionary")
    unknown = sorted(set(value) - set(spec.settings))
    if unknown:
        raise _FieldError("settings." + unknown[0], "settings.%s is not a %s setting (use %s)"
                          % (unknown[0], spec.name, ", ".join(spec.settings)))
    return dict((key, _bool(value.get(key, False), "settings." + key)) for key in spec.settings)


def _check_proxy(spec, rec):
    if not rec["proxied"]:
        return
    if not spec.proxiable:
        raise _FieldError("proxied", "only A, AAAA and CNAME records can be proxied")
    if rec["ttl"] not in (None, 1):
        raise _FieldError("ttl", "a proxied record always has TTL 1 (automatic); omit ttl, set it to 1, "
                                 "or set proxied: false to use ttl %d" % rec["ttl"])
    if (rec["settings"] or {}).get("flatten_cname"):
        raise _FieldError("settings.flatten_cname", "flatten_cname is unavailable for proxied records")


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------

RECORD_KEYS = ("name", "type", "content", "data", "priority", "ttl", "proxied", "comment", "tags", "settings")
COMPARED = ("content", "data", "priority", "ttl", "proxied", "comment", "tags", "settings")


def _build(spec, name, values):
    rec = {"name": name, "type": spec.name, "content": spec.present(values, spec.shown),
           "content_key": spec.content_key(values), "data": None, "priority": None}
    if spec.data:
        rec["data"] = dict((key, values[key]) for key in spec.data_keys)
    if "priority" in spec.top:
        rec["priority"] = values["priority"]
    return rec


def normalise_record(rec, zone, min_ttl=DEFAULT_MIN_TTL, max_comment=DEFAULT_MAX_COMMENT):
    """Validate a desired record (content or data, any name form) and return its canonical dict.

    Raises RecordError(field, message) naming the record, its type and the field."""
    given = dict((key, value) for key, value in rec.items() if value is not None)
    label = given.get("name", "@")
    try:
        unknown = sorted(set(given) - set(RECORD_KEYS))
        if unknown:
            raise _FieldError(unknown[0], "%s is not a record option (use %s)" % (unknown[0], ", ".join(RECORD_KEYS)))
        spec = record_type(given.get("type"))
        try:
            name = record_fqdn(given.get("name"), zone)
        except ValueError as exc:
            raise _FieldError("name", "name %r %s" % (label, exc))
        raw, source, new_name = _raw_from_input(spec, given, zone)
        name = new_name or name
        values = _canonical_values(spec, raw, source)
        if spec.check:
            spec.check(values, name)
        if spec.name == "CNAME" and values["content"] == name:
            raise _FieldError("content", "a CNAME record must not point to its own name")
        out = _build(spec, name, values)
        out["ttl"] = _ttl(given["ttl"], min_ttl) if "ttl" in given else None
        out["proxied"] = _bool(given["proxied"], "proxied") if "proxied" in given else None
        out["comment"] = _comment(given["comment"], max_comment) if "comment" in given else None
        out["tags"] = _tags(given["tags"]) if "tags" in given else None
        out["settings"] = _settings(spec, given["settings"]) if "settings" in given else None
        _check_proxy(spec, out)
        if out["proxied"] and out["ttl"] is None:
            out["ttl"] = 1
    except _FieldError as err:
        rtype = str(given.get("type", "?")).upper()
        raise RecordError(err.field, "record %r type %s: %s" % (label, rtype, err.message))
    return out


def _is_hint(api_record, rtype, hint):
    """True when the API's name, type, content, data and (top-level) priority are exactly the canonical hint's."""
    if hint is None or hint["type"] != rtype or str(api_record.get("content") or "") != hint["content"]:
        return False
    if str(api_record.get("name") or "").lower().rstrip(".") != hint["name"]:
        return False
    if hint["data"] is not None and api_record.get("data") != hint["data"]:
        return False
    return hint["priority"] is None or api_record.get("priority") == hint["priority"]


def record_from_api(api_record, zone, hint=None):
    """Canonical form of a record as the API returns it (zone_id / zone_name may be absent: the zone is given).

    hint: a canonical record this one is expected to be (a desired record with the same name, type and content).
    When the API's name, type, content, data and priority are exactly the hint's, the hint's canonical values are
    the answer (canonical values are a fixed point) and nothing is parsed again: an unchanged zone of 10,000
    records is read at a quarter of the cost."""
    rtype = str(api_record.get("type", "")).upper()
    spec = TYPES.get(rtype)
    out = None
    if spec is not None and _is_hint(api_record, rtype, hint):
        out = dict((key, hint[key]) for key in ("name", "type", "content", "content_key", "priority"))
        out["data"] = dict(hint["data"]) if hint["data"] is not None else None
        name = out["name"]
    else:
        try:
            name = record_fqdn(api_record.get("name"), zone)
        except ValueError:
            name = str(api_record.get("name") or "").lower().rstrip(".")
    if spec is not None and out is None:
        try:
            out = _build(spec, name, _api_values(spec, api_record))
        except (_FieldError, ValueError, KeyError, TypeError):
            out = None
    if out is None:
        # A record this table cannot read is still listed and compared, by its literal content.
        content = str(api_record.get("content") or "")
        out = {"name": name, "type": rtype, "content": content, "content_key": content,
               "data": api_record.get("data"), "priority": api_record.get("priority")}
    settings = api_record.get("settings") or {}
    keys = spec.settings if spec else sorted(settings)
    out.update({
        "id": api_record.get("id"),
        "ttl": _int(api_record.get("ttl") or 1),
        "proxied": bool(api_record.get("proxied")),
        "comment": api_record.get("comment") or "",
        "tags": sorted(set(canonical_tag(tag) for tag in api_record.get("tags") or [])),
        "settings": dict((key, bool(settings.get(key, False))) for key in keys),
    })
    return out


def _api_values(spec, api_record):
    data = api_record.get("data") or {}
    if spec.data and data:
        raw = dict((key, data[key]) for key in spec.data_keys if key in data)
        if len(raw) < len(spec.data_keys):
            raw = _tokens_to_raw(spec, str(api_record.get("content") or ""))
    else:
        raw = _tokens_to_raw(spec, str(api_record.get("content") or ""))
    for key in ("priority",):
        if key in spec.keys and raw.get(key) is None and api_record.get(key) is not None:
            raw[key] = api_record[key]
    return _canonical_values(spec, raw, "data")


def identity(canonical):
    """(name, type, content_key): two records with the same identity are the same record."""
    return canonical["name"], canonical["type"], canonical["content_key"]


def differs(desired, actual):
    """Names of the fields a desired record manages that differ from the actual record."""
    skip = ("content",) if desired.get("data") is not None else ()
    return [key for key in COMPARED
            if key not in skip and desired.get(key) is not None and desired.get(key) != actual.get(key)]


def defaults(rtype):
    spec = TYPES.get(rtype)
    keys = spec.settings if spec else ("ipv4_only", "ipv6_only")
    return {"ttl": 1, "proxied": False, "comment": "", "tags": [],
            "settings": dict((key, False) for key in keys)}


def merged(desired, actual=None):
    """The record that results from applying desired: unmanaged fields keep the actual value (or the default)."""
    base = defaults(desired["type"])
    out = dict(desired)
    for key, default in base.items():
        if out.get(key) is None:
            out[key] = actual[key] if actual and actual.get(key) is not None else default
    if actual and actual.get("id"):
        out["id"] = actual["id"]
    if out["proxied"] and out["ttl"] != 1:
        raise RecordError("ttl", "record %r type %s: the existing record is proxied, and a proxied record always "
                                 "has TTL 1 (automatic); set proxied: false to use ttl %d"
                          % (desired["name"], desired["type"], out["ttl"]))
    return out


def wire_body(desired, actual=None):
    """The JSON body for POST, PUT and batch posts/puts (the caller adds ``id`` for batch puts).

    Data-based types send ``data`` only (never content; SRV data is {priority, weight, port, target} and the
    name is the full _service._proto.name FQDN); the others send ``content``; MX and URI add ``priority``."""
    rec = merged(desired, actual)
    spec = TYPES[rec["type"]]
    body = {"name": rec["name"], "type": rec["type"], "ttl": rec["ttl"]}
    if spec.proxiable:
        body["proxied"] = rec["proxied"]
    if spec.data:
        body["data"] = dict(rec["data"])
    else:
        body["content"] = rec["content"]
    if rec["priority"] is not None:
        body["priority"] = rec["priority"]
    empty = defaults(rec["type"])
    for key in ("comment", "tags", "settings"):
        # Sent when it carries something, or to clear what the existing record has.
        if rec[key] != empty[key] or (actual and actual.get(key) not in (None, empty[key])):
            body[key] = rec[key]
    return body


def presentation(canonical, zone=True):
    """The record's RDATA in zone-file form (host names absolute with a trailing dot when zone is true)."""
    spec = TYPES.get(canonical["type"])
    if spec is None:
        return canonical["content"]
    try:
        values = _values_of(spec, canonical)
    except _FieldError:
        return canonical["content"]
    return spec.present(values, zone=zone)


def _values_of(spec, canonical):
    if spec.data and canonical.get("data"):
        raw, source = dict(canonical["data"]), "data"
    else:
        try:
            raw, source = _tokens_to_raw(spec, canonical["content"]), "content"
        except ValueError as exc:
            raise _FieldError("content", str(exc))
    if "priority" in spec.top:
        raw["priority"] = canonical["priority"]
    return _canonical_values(spec, raw, source)


def absolute_rdata(rtype, rdata, origin):
    """Zone-file RDATA with its relative host names made absolute against origin (no trailing dot), the form
    the modules take as content.  Types or text this table cannot read are returned unchanged."""
    spec = TYPES.get(rtype)
    if spec is None or spec.tokens or spec.keys == ["content"] and spec.fields[0].kind not in ("host", "target"):
        return rdata
    tokens = split_tokens(rdata)
    if len(tokens) < len(spec.fields):
        return rdata
    out = [raw for _value, raw in tokens]
    for index, field in enumerate(spec.fields):
        if field.kind in ("host", "target"):
            out[index] = _qualify(out[index], origin)
    return " ".join(out)
