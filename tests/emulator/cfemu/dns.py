"""DNS records of a zone, the way Cloudflare's v4 API serves them.

Endpoints: POST/GET(list)/GET/PUT/PATCH/DELETE /zones/{zone_id}/dns_records[/{id}], POST .../batch,
GET .../export (BIND text, not an envelope), POST .../import (multipart `file`, optional `proxied`).

This is an implementation of its own (it must not share code with the collection's module_utils, so that a
fault in one is not hidden by the same fault in the other). Facts it follows, and choices where the reference
is silent, are listed here once:

- Storage: st.data["zone:dns"][zone_id] = {record id: record}; each stored record IS its wire form (the handlers
  return the stored dicts, serialised at once under the emulator lock). A per-zone name index (name -> {id: rec})
  lives on the State object, not in st.data, and is rebuilt when the stored dict is replaced (reset, state load)
  or its size changes behind our back. To seed records directly, use seed_records().
- Names: relative names, "@", upper case and a trailing dot are accepted; the stored name is the lower-case
  punycode FQDN. A name that does not end in the zone is taken as relative and the zone is appended (the API
  accepts "sub" for "sub.<zone>"); an absolute name (trailing dot) outside the zone is rejected (9000).
- TTL: 1 (automatic) or 60..86400 (the Enterprise minimum of 30 is not emulated). A proxied record always has
  TTL 1: a proxied write with any other TTL is accepted and stored with ttl 1 (Cloudflare ignores the TTL of
  proxied records; case D15).
- proxied is only allowed on A, AAAA and CNAME (case D14); proxiable is computed from the type.
- Exclusivity at one name: CNAME excludes every other record; NS below the apex excludes every other type
  except DS (a delegation carries its DS); NS at the apex is stored like any record (Cloudflare keeps user apex
  NS records and ignores them unless multi-provider DNS is on), except that NS targets under ns.cloudflare.com
  are refused (Cloudflare's own name servers are not user records). Identical name+type+rdata: 81058.
- Rewrites: IPv6 compressed; hostname content lower case without trailing dot ("." stays "."); TXT stored as
  quoted strings of at most 255 bytes (an already quoted value is not quoted again); hex of SSHFP/TLSA/SMIMEA/DS
  upper case (content and data); data-based types get `content` formatted from `data`.
- SRV: `data` {priority, weight, port, target}, top-level `priority` kept for compatibility, and `content` is
  "weight port target" (as the TF acceptance test against the real API shows: data.priority 5 -> content
  "0 5222 talk.l.google.com"). data.service/proto/name are rejected (case D4).
- MX: `content` is the target and the top-level `priority` is required. URI: top-level `priority`,
  data {target, weight}, content "priority weight target".
- Numbers in `data` are returned as JSON integers when integral (the SDK types them float; both parse).
- Responses carry no zone_id / zone_name (case D10); comment_modified_on / tags_modified_on only when set.
- Error codes: 81053, 81054, 81057, 81058, 81044, 9000, 9005, 9015, 83011 and 1004 ("DNS Validation Error",
  used for malformed data, with the root cause in the message) are the ones seen in the wild (reference D2);
  9003 (proxied not a boolean), 9004 (proxied on a type that cannot be proxied), 9006 (bad IPv6), 9021 (TTL),
  9039 (CNAME pointing to itself), 81056 (NS exclusivity) and 81060 (batch over the plan limit) are this
  emulator's choices. A failing batch operation answers 400 with source.pointer "/<list>/<index>" and the
  message prefixed "<list>[<index>] (<id or type name>): ".
- Import: SOA lines are parsed (counted in total_records_parsed) but not added; apex NS records pointing to
  *.ns.cloudflare.com are skipped (Cloudflare's own, as in its export); records identical to existing ones are
  skipped (not counted in recs_added); any other invalid record rejects the whole import (nothing added) with
  the line number in the message. `; <comment> cf_tags=<tag>,...,cf-proxied:true|false` is read back into
  comment, tags and proxied; the form field proxied=true applies to proxiable records without a mark.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
import time
from datetime import datetime, timezone

from .core import CFError, Response, control_route, paginate, route

TYPES = ("A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS", "OPENPGPKEY",
         "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI")
PROXIABLE = ("A", "AAAA", "CNAME")
HOST_CONTENT = ("CNAME", "NS", "PTR", "MX")
DATA_TYPES = ("CAA", "CERT", "DNSKEY", "DS", "HTTPS", "LOC", "NAPTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA",
              "URI")
PRIORITY_TYPES = ("MX", "SRV", "URI")
DEFAULT_BATCH_LIMIT = 200  # Free plan; Pro and above: 3,500
ORDER_FIELDS = ("type", "name", "content", "ttl", "proxied")

_LABEL = re.compile(r"^[a-z0-9_-]{1,63}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_QSTR = r'"(?:[^"\\]|\\.)*"'
_QUOTED_SEQ = re.compile(r"^\s*" + _QSTR + r"(?:\s*" + _QSTR + r")*\s*$")
_TAG = re.compile(r"^[A-Za-z0-9_-]+(:.*)?$", re.S)


def _bad(message, code=1004, status=400):
    return CFError(status, code, message)


def _invalid(detail):
    """The API's generic validation failure (1004), with the root cause in the message."""
    return CFError(400, 1004, "DNS Validation Error: " + detail)


# --- storage and the name index -------------------------------------------------------------------------------


class _Index:
    __slots__ = ("records", "count", "by_name")

    def __init__(self, records):
        self.records = records
        self.by_name = {}
        for rec_id, rec in records.items():
            self.by_name.setdefault(rec["name"], {})[rec_id] = rec
        self.count = len(records)

    def store(self, rec):
        old = self.records.get(rec["id"])
        if old is not None:
            self._unlink(old)
        self.records[rec["id"]] = rec
        self.by_name.setdefault(rec["name"], {})[rec["id"]] = rec
        self.count = len(self.records)

    def remove(self, rec_id):
        old = self.records.pop(rec_id, None)
        if old is not None:
            self._unlink(old)
        self.count = len(self.records)
        return old

    def _unlink(self, rec):
        at = self.by_name.get(rec["name"])
        if at is not None:
            at.pop(rec["id"], None)
            if not at:
                del self.by_name[rec["name"]]

    def at(self, name):
        return self.by_name.get(name, {})


def _records(st, zone_id):
    return st.data.setdefault("zone:dns", {}).setdefault(zone_id, {})


def _index(st, zone_id):
    records = _records(st, zone_id)
    owner, cache = st.__dict__.get("_dns_index", (None, None))
    if owner is not st.data:  # reset or reloaded state: drop the indexes of the old data
        cache = {}
        st.__dict__["_dns_index"] = (st.data, cache)
    idx = cache.get(zone_id)
    if idx is None or idx.records is not records or idx.count != len(records):
        idx = cache[zone_id] = _Index(records)
    return idx


class _Txn:
    """Changes applied at once to the live zone, with an undo log: rollback() restores the zone exactly."""

    def __init__(self, idx):
        self.idx = idx
        self.undo = []

    def put(self, rec):
        self.undo.append((rec["id"], self.idx.records.get(rec["id"])))
        self.idx.store(rec)

    def remove(self, rec_id):
        self.undo.append((rec_id, self.idx.records.get(rec_id)))
        return self.idx.remove(rec_id)

    def rollback(self):
        for rec_id, old in reversed(self.undo):
            self.idx.remove(rec_id)
            if old is not None:
                self.idx.store(old)
        self.undo = []


def _batch_limit(st, zone_id):
    return st.data.get("zone:dns_batch_limit", {}).get(zone_id, DEFAULT_BATCH_LIMIT)


@control_route("POST", "/dns/batch_limit")
def set_batch_limit(req, st):
    """Body {zone_id, limit}: the number of operations one batch may carry (Free 200, paid plans 3,500)."""
    zone_id, limit = req.json.get("zone_id"), req.json.get("limit")
    st.zone(zone_id)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError("limit must be a positive integer")
    st.data.setdefault("zone:dns_batch_limit", {})[zone_id] = limit
    return {"zone_id": zone_id, "limit": limit}


# --- names, numbers, hostnames ---------------------------------------------------------------------------------


def _punycode(label):
    if label.isascii():
        return label
    try:
        return label.encode("idna").decode("ascii")
    except UnicodeError:
        raise _bad("DNS name is invalid.", 9000)


def _record_name(value, zone_name):
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise _bad("DNS name is invalid.", 9000)
    name = value.strip().lower()
    absolute = name.endswith(".")
    name = name.rstrip(".") if name != "." else name
    if name in ("@", ""):
        return zone_name
    if name != zone_name and not name.endswith("." + zone_name):
        if absolute:
            raise _bad("DNS name is invalid.", 9000)
        name = name + "." + zone_name
    labels = [_punycode(label) for label in name.split(".")]
    for pos, label in enumerate(labels):
        if label == "*" and pos == 0:
            continue
        if not _LABEL.match(label):
            raise _bad("DNS name is invalid.", 9000)
    name = ".".join(labels)
    if len(name) > 253:
        raise _bad("DNS name is invalid.", 9000)
    return name


def _hostname(value, what, allow_root=False):
    """A hostname in content/data: lower case, punycode, no trailing dot; "." (the root) where allowed."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid("%s must be a valid hostname" % what)
    host = value.strip().lower()
    if host == ".":
        if allow_root:
            return "."
        raise _invalid("%s must be a valid hostname" % what)
    host = host[:-1] if host.endswith(".") else host
    try:
        labels = [_punycode(label) for label in host.split(".")]
    except CFError:
        raise _invalid("%s must be a valid hostname" % what)
    if not all(_LABEL.match(label) or (label == "*" and i == 0) for i, label in enumerate(labels)):
        raise _invalid("%s must be a valid hostname" % what)
    host = ".".join(labels)
    if len(host) > 253:
        raise _invalid("%s must be a valid hostname" % what)
    return host


def _int(value, what, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid("%s must be a number" % what)
    if isinstance(value, float):
        if value != int(value):
            raise _invalid("%s must be an integer" % what)
        value = int(value)
    if not lo <= value <= hi:
        raise _invalid("%s must be between %d and %d" % (what, lo, hi))
    return value


def _real(value, what, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid("%s must be a number" % what)
    if not lo <= value <= hi:
        raise _invalid("%s must be between %s and %s" % (what, lo, hi))
    return int(value) if float(value) == int(value) else float(value)


def _text(value, what, allow_empty=False):
    if not isinstance(value, str) or (not allow_empty and not value):
        raise _invalid("%s must be a non-empty string" % what)
    return value


def _hexstr(value, what):
    if not isinstance(value, str):
        raise _invalid("%s must be a hexadecimal string" % what)
    compact = re.sub(r"\s+", "", value)
    if not compact or not _HEX.match(compact) or len(compact) % 2:
        raise _invalid("%s must be a hexadecimal string" % what)
    return compact.upper()


def _b64(value, what):
    if not isinstance(value, str):
        raise _invalid("%s must be base64" % what)
    compact = re.sub(r"\s+", "", value)
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("%s must be base64" % what)
    if not compact:
        raise _invalid("%s must be base64" % what)
    return compact


def _tokens(text):
    """Zone-file tokens: whitespace separated, "quoted strings" kept whole (with their quotes)."""
    return re.findall(r'"(?:[^"\\]|\\.)*"|\S+', text)


def _unquote(token):
    if len(token) >= 2 and token[0] == token[-1] == '"':
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


# --- TXT -------------------------------------------------------------------------------------------------------


def _split255(text):
    chunks, current, size = [], [], 0
    for char in text:
        width = len(char.encode("utf-8"))
        if size + width > 255:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    chunks.append("".join(current))
    return chunks


def _txt(value):
    if not isinstance(value, str) or value == "":
        raise _invalid("content of a TXT record must be a non-empty string")
    if _QUOTED_SEQ.match(value):
        strings = [_unquote(s) for s in re.findall(_QSTR, value)]
    else:
        strings = [value]
    chunks = []
    for s in strings:
        chunks.extend(_split255(s))
    if sum(1 + len(c.encode("utf-8")) for c in chunks) > 4096:
        raise _bad("Record content exceeds the allowed length of 4096 wire format bytes.", 9015)
    return " ".join('"%s"' % c.replace("\\", "\\\\").replace('"', '\\"') for c in chunks)


# --- data-based types: data -> (content, data, priority); content -> data ----------------------------------


def _d(data, key, tname):
    if key not in data or data[key] is None:
        raise _invalid("%s record: data.%s is required" % (tname, key))
    return data[key]


def _data_caa(data, top):
    flags = _int(_d(data, "flags", "CAA"), "data.flags", 0, 255)
    tag = _text(_d(data, "tag", "CAA"), "data.tag")
    if not re.match(r"^[A-Za-z0-9]+$", tag):
        raise _invalid("CAA record: data.tag must be alphanumeric (issue, issuewild, iodef, ...)")
    value = _text(_d(data, "value", "CAA"), "data.value", allow_empty=True)
    out = {"flags": flags, "tag": tag, "value": value}
    return '%d %s "%s"' % (flags, tag, value.replace('"', '\\"')), out, None


def _content_caa(content):
    parts = content.strip().split(None, 2)
    if len(parts) != 3:
        raise _invalid("CAA content must be 'flags tag \"value\"'")
    return {"flags": _intstr(parts[0], "flags"), "tag": parts[1], "value": _unquote(parts[2].strip())}


def _intstr(token, what):
    try:
        return int(token)
    except (TypeError, ValueError):
        raise _invalid("%s must be an integer, got %r" % (what, token))


def _data_cert(data, top):
    ctype = _int(_d(data, "type", "CERT"), "data.type", 0, 65535)
    key_tag = _int(_d(data, "key_tag", "CERT"), "data.key_tag", 0, 65535)
    alg = _int(_d(data, "algorithm", "CERT"), "data.algorithm", 0, 255)
    cert = _b64(_d(data, "certificate", "CERT"), "data.certificate")
    out = {"type": ctype, "key_tag": key_tag, "algorithm": alg, "certificate": cert}
    return "%d %d %d %s" % (ctype, key_tag, alg, cert), out, None


def _content_cert(content):
    t = _tokens(content)
    if len(t) < 4:
        raise _invalid("CERT content must be 'type key_tag algorithm certificate'")
    return {"type": _intstr(t[0], "type"), "key_tag": _intstr(t[1], "key_tag"),
            "algorithm": _intstr(t[2], "algorithm"), "certificate": "".join(t[3:])}


def _data_dnskey(data, top):
    flags = _int(_d(data, "flags", "DNSKEY"), "data.flags", 0, 65535)
    protocol = _int(_d(data, "protocol", "DNSKEY"), "data.protocol", 0, 255)
    alg = _int(_d(data, "algorithm", "DNSKEY"), "data.algorithm", 0, 255)
    key = _b64(_d(data, "public_key", "DNSKEY"), "data.public_key")
    out = {"flags": flags, "protocol": protocol, "algorithm": alg, "public_key": key}
    return "%d %d %d %s" % (flags, protocol, alg, key), out, None


def _content_dnskey(content):
    t = _tokens(content)
    if len(t) < 4:
        raise _invalid("DNSKEY content must be 'flags protocol algorithm public_key'")
    return {"flags": _intstr(t[0], "flags"), "protocol": _intstr(t[1], "protocol"),
            "algorithm": _intstr(t[2], "algorithm"), "public_key": "".join(t[3:])}


def _data_ds(data, top):
    key_tag = _int(_d(data, "key_tag", "DS"), "data.key_tag", 0, 65535)
    alg = _int(_d(data, "algorithm", "DS"), "data.algorithm", 0, 255)
    digest_type = _int(_d(data, "digest_type", "DS"), "data.digest_type", 0, 255)
    digest = _hexstr(_d(data, "digest", "DS"), "data.digest")
    out = {"key_tag": key_tag, "algorithm": alg, "digest_type": digest_type, "digest": digest}
    return "%d %d %d %s" % (key_tag, alg, digest_type, digest), out, None


def _content_ds(content):
    t = _tokens(content)
    if len(t) < 4:
        raise _invalid("DS content must be 'key_tag algorithm digest_type digest'")
    return {"key_tag": _intstr(t[0], "key_tag"), "algorithm": _intstr(t[1], "algorithm"),
            "digest_type": _intstr(t[2], "digest_type"), "digest": "".join(t[3:])}


def _data_svcb(tname):
    def build(data, top):
        prio = _int(_d(data, "priority", tname), "data.priority", 0, 65535)
        target = _text(_d(data, "target", tname), "data.target").strip()
        if target != "." and not re.match(r"^[A-Za-z0-9_.*-]+$", target):
            raise _invalid("%s record: data.target must be a hostname or '.'" % tname)
        value = _text(data.get("value") or "", "data.value", allow_empty=True).strip()
        out = {"priority": prio, "target": target, "value": value}
        return ("%d %s %s" % (prio, target, value)).strip(), out, None
    return build


def _content_svcb(content):
    parts = content.strip().split(None, 2)
    if len(parts) < 2:
        raise _invalid("HTTPS/SVCB content must be 'priority target [params]'")
    return {"priority": _intstr(parts[0], "priority"), "target": parts[1],
            "value": parts[2] if len(parts) > 2 else ""}


def _data_loc(data, top):
    def num(key, lo, hi, default=None, real=False):
        value = data.get(key, default)
        if value is None:
            raise _invalid("LOC record: data.%s is required" % key)
        return _real(value, "data." + key, lo, hi) if real else _int(value, "data." + key, lo, hi)
    out = {
        "lat_degrees": num("lat_degrees", 0, 90), "lat_minutes": num("lat_minutes", 0, 59, 0),
        "lat_seconds": num("lat_seconds", 0, 59.999, 0, True),
        "long_degrees": num("long_degrees", 0, 180), "long_minutes": num("long_minutes", 0, 59, 0),
        "long_seconds": num("long_seconds", 0, 59.999, 0, True),
        "altitude": num("altitude", -100000, 42849672.95, 0, True), "size": num("size", 0, 90000000, 0, True),
        "precision_horz": num("precision_horz", 0, 90000000, 0, True),
        "precision_vert": num("precision_vert", 0, 90000000, 0, True),
    }
    for key, allowed in (("lat_direction", ("N", "S")), ("long_direction", ("E", "W"))):
        value = data.get(key)
        if not isinstance(value, str) or value.upper() not in allowed:
            raise _invalid("LOC record: data.%s must be one of %s" % (key, "/".join(allowed)))
        out[key] = value.upper()
    content = "%d %d %.3f %s %d %d %.3f %s %.2f %.2f %.2f %.2f" % (
        out["lat_degrees"], out["lat_minutes"], out["lat_seconds"], out["lat_direction"], out["long_degrees"],
        out["long_minutes"], out["long_seconds"], out["long_direction"], out["altitude"], out["size"],
        out["precision_horz"], out["precision_vert"])
    return content, out, None


def _content_loc(content):
    t = [x[:-1] if x.lower().endswith("m") and x[:-1].replace(".", "", 1).lstrip("-").isdigit() else x
         for x in content.split()]
    out, pos = {}, 0

    def take_coord(prefix, directions):
        nonlocal pos
        values = []
        while pos < len(t) and t[pos].upper() not in directions and len(values) < 3:
            values.append(t[pos])
            pos += 1
        if pos >= len(t) or not values:
            raise _invalid("LOC content is not in the form 'd [m [s]] N|S d [m [s]] E|W alt [siz hp vp]'")
        try:
            out[prefix + "_degrees"] = int(values[0])
            out[prefix + "_minutes"] = int(values[1]) if len(values) > 1 else 0
            out[prefix + "_seconds"] = float(values[2]) if len(values) > 2 else 0
        except ValueError:
            raise _invalid("LOC content has a non-numeric coordinate")
        out[prefix + "_direction"] = t[pos].upper()
        pos += 1
    take_coord("lat", ("N", "S"))
    take_coord("long", ("E", "W"))
    rest = t[pos:]
    try:
        nums = [float(x) for x in rest]
    except ValueError:
        raise _invalid("LOC content has a non-numeric altitude/size/precision")
    if not nums:
        raise _invalid("LOC content needs an altitude")
    for key, value in zip(("altitude", "size", "precision_horz", "precision_vert"), nums):
        out[key] = value
    return out


def _data_naptr(data, top):
    order = _int(_d(data, "order", "NAPTR"), "data.order", 0, 65535)
    pref = _int(_d(data, "preference", "NAPTR"), "data.preference", 0, 65535)
    flags = _text(data.get("flags", ""), "data.flags", allow_empty=True)
    service = _text(data.get("service", ""), "data.service", allow_empty=True)
    regex = _text(data.get("regex", ""), "data.regex", allow_empty=True)
    replacement = _hostname(_d(data, "replacement", "NAPTR"), "data.replacement", allow_root=True)
    out = {"order": order, "preference": pref, "flags": flags, "service": service, "regex": regex,
           "replacement": replacement}
    return '%d %d "%s" "%s" "%s" %s' % (order, pref, flags, service, regex, replacement), out, None


def _content_naptr(content):
    t = _tokens(content)
    if len(t) != 6:
        raise _invalid('NAPTR content must be \'order preference "flags" "service" "regex" replacement\'')
    return {"order": _intstr(t[0], "order"), "preference": _intstr(t[1], "preference"), "flags": _unquote(t[2]),
            "service": _unquote(t[3]), "regex": _unquote(t[4]), "replacement": t[5]}


def _data_tlsa(tname):
    def build(data, top):
        usage = _int(_d(data, "usage", tname), "data.usage", 0, 255)
        selector = _int(_d(data, "selector", tname), "data.selector", 0, 255)
        matching = _int(_d(data, "matching_type", tname), "data.matching_type", 0, 255)
        cert = _hexstr(_d(data, "certificate", tname), "data.certificate")
        out = {"usage": usage, "selector": selector, "matching_type": matching, "certificate": cert}
        return "%d %d %d %s" % (usage, selector, matching, cert), out, None
    return build


def _content_tlsa(content):
    t = _tokens(content)
    if len(t) < 4:
        raise _invalid("TLSA/SMIMEA content must be 'usage selector matching_type certificate'")
    return {"usage": _intstr(t[0], "usage"), "selector": _intstr(t[1], "selector"),
            "matching_type": _intstr(t[2], "matching_type"), "certificate": "".join(t[3:])}


def _data_sshfp(data, top):
    alg = _int(_d(data, "algorithm", "SSHFP"), "data.algorithm", 0, 255)
    fptype = _int(_d(data, "type", "SSHFP"), "data.type", 0, 255)
    fingerprint = _hexstr(_d(data, "fingerprint", "SSHFP"), "data.fingerprint")
    out = {"algorithm": alg, "type": fptype, "fingerprint": fingerprint}
    return "%d %d %s" % (alg, fptype, fingerprint), out, None


def _content_sshfp(content):
    t = _tokens(content)
    if len(t) < 3:
        raise _invalid("SSHFP content must be 'algorithm type fingerprint'")
    return {"algorithm": _intstr(t[0], "algorithm"), "type": _intstr(t[1], "type"), "fingerprint": "".join(t[2:])}


def _data_srv(data, top):
    for key in ("service", "proto", "name"):
        if data.get(key) not in (None, ""):
            raise _invalid("SRV record: data.%s is not accepted; the service and protocol belong in the record "
                           "name, e.g. _sip._tcp.example.com" % key)
    prio = data.get("priority")
    if prio is None:
        prio = top.get("priority")
    if prio is None:
        raise _invalid("SRV record: data.priority is required")
    prio = _int(prio, "data.priority", 0, 65535)
    weight = _int(_d(data, "weight", "SRV"), "data.weight", 0, 65535)
    port = _int(_d(data, "port", "SRV"), "data.port", 0, 65535)
    target = _hostname(_d(data, "target", "SRV"), "data.target", allow_root=True)
    out = {"priority": prio, "weight": weight, "port": port, "target": target}
    return "%d %d %s" % (weight, port, target), out, prio


def _content_srv(content, top):
    t = content.split()
    if len(t) == 4:
        return {"priority": _intstr(t[0], "priority"), "weight": _intstr(t[1], "weight"),
                "port": _intstr(t[2], "port"), "target": t[3]}
    if len(t) == 3:
        return {"priority": top.get("priority"), "weight": _intstr(t[0], "weight"), "port": _intstr(t[1], "port"),
                "target": t[2]}
    raise _invalid("SRV content must be 'priority weight port target' (or 'weight port target' with priority)")


def _data_uri(data, top):
    prio = top.get("priority")
    if prio is None:
        prio = data.get("priority")
    if prio is None:
        raise _invalid("URI record: priority is required")
    prio = _int(prio, "priority", 0, 65535)
    weight = _int(_d(data, "weight", "URI"), "data.weight", 0, 65535)
    target = _text(_d(data, "target", "URI"), "data.target")
    out = {"target": target, "weight": weight}
    return "%d %d %s" % (prio, weight, target), out, prio


def _content_uri(content, top):
    t = _tokens(content)
    if len(t) == 3:
        return {"priority": _intstr(t[0], "priority"), "weight": _intstr(t[1], "weight"), "target": _unquote(t[2])}
    if len(t) == 2:
        return {"weight": _intstr(t[0], "weight"), "target": _unquote(t[1])}
    raise _invalid('URI content must be \'priority weight "target"\'')


DATA_BUILDERS = {
    "CAA": (_data_caa, _content_caa), "CERT": (_data_cert, _content_cert),
    "DNSKEY": (_data_dnskey, _content_dnskey), "DS": (_data_ds, _content_ds),
    "HTTPS": (_data_svcb("HTTPS"), _content_svcb), "SVCB": (_data_svcb("SVCB"), _content_svcb),
    "LOC": (_data_loc, _content_loc), "NAPTR": (_data_naptr, _content_naptr),
    "SMIMEA": (_data_tlsa("SMIMEA"), _content_tlsa), "TLSA": (_data_tlsa("TLSA"), _content_tlsa),
    "SSHFP": (_data_sshfp, _content_sshfp), "SRV": (_data_srv, _content_srv), "URI": (_data_uri, _content_uri),
}
_CONTENT_NEEDS_TOP = ("SRV", "URI")


# --- one record: validate and rewrite ---------------------------------------------------------------------


def _content_of(rtype, content, top, name, zone_name):
    """Content-based types -> (content, priority)."""
    if not isinstance(content, str) or not content.strip():
        raise _invalid("content is required for a %s record" % rtype)
    if rtype == "A":
        try:
            return str(ipaddress.IPv4Address(content.strip())), None
        except ValueError:
            raise _bad("Content for A record must be a valid IPv4 address.", 9005)
    if rtype == "AAAA":
        try:
            return ipaddress.IPv6Address(content.strip()).compressed, None
        except ValueError:
            raise _bad("Content for AAAA record must be a valid IPv6 address.", 9006)
    if rtype == "TXT":
        return _txt(content), None
    if rtype == "OPENPGPKEY":
        return _b64(content, "content"), None
    if rtype == "MX":
        value, prio = content.strip(), top.get("priority")
        parts = value.split()
        if len(parts) == 2 and parts[0].isdigit() and prio is None:
            prio, value = int(parts[0]), parts[1]
        if prio is None:
            raise _invalid("MX record: priority is required")
        return _hostname(value, "content", allow_root=True), _int(prio, "priority", 0, 65535)
    raw = content.strip()
    if rtype == "CNAME" and raw == "@":
        raw = zone_name
    host = _hostname(raw, "content")
    if rtype == "CNAME" and host == name:
        raise _bad("Content for CNAME record is invalid: a CNAME record cannot point to itself.", 9039)
    return host, None


def _settings(value, rtype):
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _invalid("settings must be an object")
    allowed = ("ipv4_only", "ipv6_only", "flatten_cname") if rtype == "CNAME" else ("ipv4_only", "ipv6_only")
    out = {}
    for key, flag in value.items():
        if key not in allowed:
            raise _invalid("settings.%s is not valid for a %s record" % (key, rtype))
        if flag is None:
            continue
        if not isinstance(flag, bool):
            raise _invalid("settings.%s must be a boolean" % key)
        out[key] = flag
    if rtype == "CNAME":  # the API returns every CNAME setting, with its default
        full = {"flatten_cname": False, "ipv4_only": False, "ipv6_only": False}
        full.update(out)
        return full
    return out


def _tags(value):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise _invalid("tags must be a list of strings 'name:value'")
    out = []
    for tag in value:
        if not _TAG.match(tag):
            raise _invalid("tag %r must be of the form name:value (name of letters, digits, _ and -)" % tag)
        if tag not in out:
            out.append(tag)
    return out


def _editable(rec):
    """The input form of a stored record (what a PATCH merges onto)."""
    out = {k: rec[k] for k in ("name", "type", "ttl", "proxied", "comment", "tags", "private_routing", "priority")
           if k in rec}
    out["settings"] = {k: v for k, v in rec.get("settings", {}).items() if v}
    if rec["type"] in DATA_TYPES:
        out["data"] = dict(rec["data"])
        if rec["type"] == "URI":
            out["priority"] = rec["priority"]
    else:
        out["content"] = rec["content"]
    return out


def build_record(zone, body, existing=None, partial=False):
    """Validate a POST/PUT/PATCH body (PATCH: partial, merged onto existing) -> the record's wire form
    without id and timestamps. Raises CFError like the API."""
    if not isinstance(body, dict):
        raise _invalid("the request body must be a JSON object")
    zone_name = zone["name"]
    if partial and existing is not None:
        merged = _editable(existing)
        if "type" in body and str(body["type"]).upper() != existing["type"]:
            merged.pop("data", None)
            if "content" not in body and existing["type"] in DATA_TYPES:
                merged["content"] = existing["content"]
        if "content" in body and "data" not in body:
            merged.pop("data", None)
        if "data" in body:
            merged.pop("content", None)
        merged.update(body)
        if str(merged.get("type") or "").upper() == "SRV" and "priority" in body and "data" not in body and \
                isinstance(merged.get("data"), dict):
            merged["data"] = dict(merged["data"], priority=body["priority"])
    else:
        merged = body
    rtype = merged.get("type")
    if not isinstance(rtype, str) or rtype.upper() not in TYPES:
        raise _invalid("type %r is not a supported DNS record type" % (rtype,))
    rtype = rtype.upper()
    if "name" not in merged or merged["name"] is None:
        raise _bad("DNS name is invalid.", 9000)
    name = _record_name(merged["name"], zone_name)

    ttl = merged.get("ttl")
    ttl = 1 if ttl is None else ttl
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl != int(ttl) or \
            not (ttl == 1 or 60 <= ttl <= 86400):
        raise _bad("Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.", 9021)
    ttl = int(ttl)

    proxied = merged.get("proxied")
    proxied = False if proxied is None else proxied
    if not isinstance(proxied, bool):
        raise _bad("Invalid value for proxied: must be true or false.", 9003)
    if proxied and rtype not in PROXIABLE:
        raise _bad("Record type %s cannot be proxied: only A, AAAA and CNAME records can be proxied." % rtype,
                   9004)
    if proxied:
        ttl = 1  # proxied records always have an automatic TTL; the API ignores any other value

    rec = {"name": name, "type": rtype}
    if rtype in DATA_TYPES:
        data = merged.get("data")
        if data is not None:
            if not isinstance(data, dict):
                raise _invalid("data must be an object")
        else:
            content = merged.get("content")
            if not isinstance(content, str) or not content.strip():
                raise _invalid("a %s record needs data (or its content in zone-file form)" % rtype)
            parse = DATA_BUILDERS[rtype][1]
            data = parse(content, merged) if rtype in _CONTENT_NEEDS_TOP else parse(content)
        content, data, priority = DATA_BUILDERS[rtype][0](data, merged)
        rec["content"] = content
        rec["data"] = data
    else:
        content, priority = _content_of(rtype, merged.get("content"), merged, name, zone_name)
        rec["content"] = content
    if priority is not None:
        rec["priority"] = priority
    if rtype == "NS" and name == zone_name and (content == "ns.cloudflare.com" or
                                                content.endswith(".ns.cloudflare.com")):
        raise _invalid("Cloudflare's own name servers cannot be added as NS records")

    comment = merged.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise _invalid("comment must be a string")
    if comment is not None and len(comment) > 500:
        raise _invalid("comment must be at most 500 characters")
    rec.update({
        "ttl": ttl, "proxied": proxied, "proxiable": rtype in PROXIABLE,
        "settings": _settings(merged.get("settings"), rtype), "meta": {},
        "comment": comment or None, "tags": _tags(merged.get("tags")),
    })
    if rtype in ("A", "AAAA") and merged.get("private_routing") is not None:
        if not isinstance(merged["private_routing"], bool):
            raise _invalid("private_routing must be a boolean")
        rec["private_routing"] = merged["private_routing"]
    return rec


def _rdata_key(rec):
    return (rec.get("priority") if rec["type"] in PRIORITY_TYPES else None, rec["content"])


def check_conflicts(idx, rec, zone_name, ignore_id=None):
    """Duplicate and exclusivity rules against the zone as it is now."""
    others = [r for rid, r in idx.at(rec["name"]).items() if rid != ignore_id]
    rtype = rec["type"]
    key = _rdata_key(rec)
    for other in others:
        if other["type"] == rtype and _rdata_key(other) == key:
            raise _bad("An identical record already exists.", 81058)
    if rtype == "CNAME":
        for other in others:
            if other["type"] in ("A", "AAAA", "CNAME"):
                raise _bad("An A, AAAA, or CNAME record with that host already exists.", 81053)
        if others:
            raise _bad("Record already exists. A CNAME record cannot exist on the same name as a %s record."
                       % others[0]["type"], 81057)
    else:
        for other in others:
            if other["type"] == "CNAME":
                if rtype in ("A", "AAAA"):
                    raise _bad("An A, AAAA, or CNAME record with that host already exists.", 81053)
                raise _bad("A CNAME record with that host already exists. For more details, refer to "
                           "<https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/"
                           "records-with-same-name/>.", 81054)
    if rec["name"] != zone_name:
        if rtype == "NS":
            for other in others:
                if other["type"] not in ("NS", "DS"):
                    raise _bad("NS records cannot exist on the same name as any other record type (a %s record "
                               "exists at %s)." % (other["type"], rec["name"]), 81056)
        elif rtype != "DS":
            for other in others:
                if other["type"] == "NS":
                    raise _bad("NS records cannot exist on the same name as any other record type (an NS record "
                               "exists at %s)." % rec["name"], 81056)
    total = len(rec["content"]) + sum(len(o["content"]) for o in others if o["type"] == rtype)
    if total > 8192:
        raise _bad("Combined content length of records with this name and type exceeds 8192 characters.", 83011)


def _stamp(st, rec, existing=None):
    now = st.now()
    rec["id"] = existing["id"] if existing else st.new_id()
    rec["created_on"] = existing["created_on"] if existing else now
    rec["modified_on"] = now
    if rec["comment"]:
        same = existing is not None and existing.get("comment") == rec["comment"]
        rec["comment_modified_on"] = existing.get("comment_modified_on", now) if same else now
    if rec["tags"]:
        same = existing is not None and existing.get("tags") == rec["tags"]
        rec["tags_modified_on"] = existing.get("tags_modified_on", now) if same else now
    return rec


def _write(st, zone, txn, body, existing=None, partial=False):
    rec = build_record(zone, body, existing, partial)
    check_conflicts(txn.idx, rec, zone["name"], ignore_id=existing["id"] if existing else None)
    _stamp(st, rec, existing)
    txn.put(rec)
    return rec


def seed_records(st, zone_id, bodies):
    """Create records directly (tests, benchmarks), with the API's validation; returns the records."""
    zone = st.zone(zone_id)
    txn = _Txn(_index(st, zone_id))
    try:
        return [_write(st, zone, txn, body) for body in bodies]
    except CFError:
        txn.rollback()
        raise


def _get_record(st, zone_id, record_id):
    rec = _records(st, zone_id).get(record_id)
    if rec is None:
        raise CFError(404, 81044, "Record does not exist.")
    return rec


# --- list ------------------------------------------------------------------------------------------------------


def _text_ops(req, key, getter, normalise=str.lower):
    """Predicates for key / key.exact / key.contains / key.startswith / key.endswith (case-insensitive)."""
    preds = []
    for suffix, test in (("", lambda v, x: v == x), (".exact", lambda v, x: v == x),
                         (".contains", lambda v, x: x in v), (".startswith", lambda v, x: v.startswith(x)),
                         (".endswith", lambda v, x: v.endswith(x))):
        for raw in req.args(key + suffix):
            wanted = normalise(raw)
            preds.append(lambda rec, w=wanted, t=test: t((getter(rec) or "").lower(), w))
    return preds


def _tag_pairs(rec):
    out = []
    for tag in rec.get("tags") or ():
        name, _sep, value = tag.partition(":")
        out.append((name.lower(), value.lower()))
    return out


def _tag_preds(req):
    preds = []

    def split(raw):
        name, _sep, value = raw.partition(":")
        return name.lower(), value.lower()

    for raw in req.args("tag"):
        name, value = split(raw)
        if ":" in raw:
            preds.append(lambda r, n=name, v=value: (n, v) in _tag_pairs(r))
        else:
            preds.append(lambda r, n=name: any(t[0] == n for t in _tag_pairs(r)))
    for raw in req.args("tag.present"):
        preds.append(lambda r, n=raw.lower(): any(t[0] == n for t in _tag_pairs(r)))
    for raw in req.args("tag.absent"):
        preds.append(lambda r, n=raw.lower(): all(t[0] != n for t in _tag_pairs(r)))
    for op, test in (("exact", lambda v, x: v == x), ("contains", lambda v, x: x in v),
                     ("startswith", lambda v, x: v.startswith(x)), ("endswith", lambda v, x: v.endswith(x))):
        for raw in req.args("tag." + op):
            name, value = split(raw)
            preds.append(lambda r, n=name, v=value, t=test: any(p[0] == n and t(p[1], v) for p in _tag_pairs(r)))
    return preds


def _combine(preds, mode):
    if not preds:
        return None
    if len(preds) == 1:
        return preds[0]
    if mode == "any":
        return lambda r: any(p(r) for p in preds)
    return lambda r: all(p(r) for p in preds)


def _list_filter(req, zone):
    zone_name = zone["name"]
    match = req.arg("match", "all")
    tag_match = req.arg("tag_match", "all")
    for what, value in (("match", match), ("tag_match", tag_match)):
        if value not in ("any", "all"):
            raise CFError(400, 1001, "%s must be any or all" % what)

    def name_norm(raw):
        raw = raw.strip().lower()
        if raw == "@":
            return zone_name
        return raw[:-1] if raw.endswith(".") and raw != "." else raw

    preds = _text_ops(req, "name", lambda r: r["name"], name_norm)
    preds += _text_ops(req, "content", lambda r: r["content"])
    for raw in req.args("type"):
        for wanted in raw.upper().split(","):
            if wanted:
                preds.append(lambda r, w=wanted: r["type"] == w)
    for raw in req.args("proxied"):
        if raw.lower() not in ("true", "false"):
            raise CFError(400, 1001, "proxied must be true or false")
        preds.append(lambda r, w=(raw.lower() == "true"): r["proxied"] == w)
    preds += _text_ops(req, "comment", lambda r: r.get("comment"))
    if "comment.present" in req.query:
        preds.append(lambda r: bool(r.get("comment")))
    if "comment.absent" in req.query:
        preds.append(lambda r: not r.get("comment"))
    tag_pred = _combine(_tag_preds(req), tag_match)
    if tag_pred is not None:
        preds.append(tag_pred)
    pred = _combine(preds, match)
    search = req.arg("search")
    if search:
        needle = search.lower()

        def found(r):
            return (needle in r["name"] or needle in r["content"].lower() or needle in (r.get("comment") or "").lower()
                    or any(needle in t.lower() for t in r.get("tags") or ()))
        pred = found if pred is None else (lambda r, p=pred: p(r) and found(r))
    return pred


@route("GET", "/zones/{zone_id}/dns_records")
def list_records(req, st, zone_id):
    zone = st.zone(zone_id)
    pred = _list_filter(req, zone)
    order = req.arg("order", "type")
    direction = req.arg("direction", "asc")
    if order not in ORDER_FIELDS:
        raise CFError(400, 1001, "order must be one of %s" % ", ".join(ORDER_FIELDS))
    if direction not in ("asc", "desc"):
        raise CFError(400, 1001, "direction must be asc or desc")
    records = _records(st, zone_id).values()
    items = [r for r in records if pred(r)] if pred else list(records)
    if order == "type":
        fields = ("type", "name", "content")
    elif order == "name":
        fields = ("name", "type", "content")
    else:
        fields = (order, "type", "name", "content")
    items.sort(key=operator.itemgetter(*fields), reverse=direction == "desc")
    return paginate(req, items, default_per_page=100, max_per_page=5000000, min_per_page=1)


# --- export / import (registered before GET /{id} so that "export" is not taken for an id) --------------------


def _presentation(rec):
    """The record's rdata as a zone file writes it (absolute names with a trailing dot)."""
    rtype, content = rec["type"], rec["content"]

    def absolute(host):
        return host if host == "." else host + "."
    if rtype in ("CNAME", "NS", "PTR"):
        return absolute(content)
    if rtype == "MX":
        return "%d %s" % (rec["priority"], absolute(content))
    if rtype == "SRV":
        d = rec["data"]
        return "%d %d %d %s" % (d["priority"], d["weight"], d["port"], absolute(d["target"]))
    if rtype == "URI":
        return '%d %d "%s"' % (rec["priority"], rec["data"]["weight"], rec["data"]["target"])
    if rtype == "NAPTR":
        d = rec["data"]
        return '%d %d "%s" "%s" "%s" %s' % (d["order"], d["preference"], d["flags"], d["service"], d["regex"],
                                            absolute(d["replacement"]))
    return content


def _export_line(rec):
    line = "%s.\t%d\tIN\t%s\t%s" % (rec["name"], rec["ttl"], rec["type"], _presentation(rec))
    marks = list(rec.get("tags") or [])
    if rec["type"] in PROXIABLE:
        marks.append("cf-proxied:%s" % ("true" if rec["proxied"] else "false"))
    note = []
    if rec.get("comment"):
        note.append(rec["comment"].replace("\n", " "))
    if marks:
        note.append("cf_tags=" + ",".join(marks))
    return line + (" ; " + " ".join(note) if note else "")


_EXPORT_HEADER = """;;
;; Domain:     %s.
;; Exported:   %s
;;
;; This file is intended for use for informational and archival
;; purposes ONLY and MUST be edited before use on a production
;; DNS server.  In particular, you must:
;;   -- update the SOA record with the correct authoritative name server
;;   -- update the SOA record with the contact e-mail address information
;;   -- update the NS record(s) with the authoritative name servers for this domain.
;;
;; For further information, please consult the BIND documentation
;; located on the following website:
;;
;; http://www.isc.org/
;;
;; And RFC 1035:
;;
;; http://www.ietf.org/rfc/rfc1035.txt
;;
;; Please note that we do NOT offer technical support for any use
;; of this zone data, the BIND name server, or any other third-party
;; DNS software.
;;
;; Use at your own risk.
"""


@route("GET", "/zones/{zone_id}/dns_records/export")
def export_records(req, st, zone_id):
    zone = st.zone(zone_id)
    name = zone["name"]
    ns = zone.get("name_servers") or ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    out = [(_EXPORT_HEADER % (name, stamp)).rstrip("\n")]
    out.append(";; SOA Record")
    out.append("%s\t3600\tIN\tSOA\t%s. dns.cloudflare.com. %d 10000 2400 604800 3600" % (name, ns[0],
                                                                                         int(time.time())))
    out.append("")
    by_type = {}
    for rec in _records(st, zone_id).values():
        by_type.setdefault(rec["type"], []).append(rec)
    out.append(";; NS Records")
    out.extend("%s.\t86400\tIN\tNS\t%s." % (name, server) for server in ns)
    out.extend(_export_line(r) for r in sorted(by_type.pop("NS", []), key=lambda r: (r["name"], r["content"])))
    out.append("")
    for rtype in sorted(by_type):
        out.append(";; %s Records" % rtype)
        out.extend(_export_line(r) for r in sorted(by_type[rtype], key=lambda r: (r["name"], _rdata_key(r)[1])))
        out.append("")
    return Response("\n".join(out) + "\n", content_type="text/plain; charset=utf-8")


_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _zone_ttl(token):
    if token.isdigit():
        return int(token)
    found = re.findall(r"(\d+)([smhdw])", token.lower())
    if found and "".join(a + b for a, b in found) == token.lower():
        return sum(int(n) * _TTL_UNITS[u] for n, u in found)
    return None


def _split_comment(line):
    """(code, comment) where the comment starts at the first ';' outside quotes."""
    quoted = escaped = False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return line[:i], line[i + 1:].strip()
    return line, ""


def parse_bind(text, zone_name):
    """A small BIND zone-file reader -> [(line number, owner, ttl, type, rdata tokens, comment)]."""
    origin, default_ttl, last_owner, last_ttl = zone_name, None, None, None
    entries, pending, start, depth, comment = [], None, 0, 0, ""
    for number, raw in enumerate(text.splitlines(), 1):
        code, note = _split_comment(raw)
        if pending is None:
            if not code.strip():
                continue
            pending, start, comment = [], number, ""
            pending_blank_owner = code[:1] in (" ", "\t")
        tokens = _tokens(code)
        for tok in tokens:
            if tok == "(":
                depth += 1
            elif tok == ")":
                depth -= 1
            else:
                pending.append(tok)
        comment = note or comment
        if depth > 0:
            continue
        toks, pending = pending, None
        if not toks:
            continue
        if toks[0].upper() == "$ORIGIN":
            value = toks[1].lower()
            origin = value.rstrip(".") if value.endswith(".") else value + "." + origin
            continue
        if toks[0].upper() == "$TTL":
            default_ttl = _zone_ttl(toks[1])
            continue
        if toks[0].startswith("$"):
            raise CFError(400, 1004, "DNS Validation Error: line %d: %s is not supported" % (start, toks[0]))
        if pending_blank_owner:
            owner = last_owner
        else:
            owner = _absolute(toks.pop(0), origin)
        ttl, rtype = None, None
        while toks:
            head = toks[0]
            if _zone_ttl(head) is not None and ttl is None:
                ttl = _zone_ttl(head)
            elif head.upper() in ("IN", "CH", "HS", "CS"):
                pass
            else:
                break
            toks.pop(0)
        if not toks or owner is None:
            raise CFError(400, 1004, "DNS Validation Error: line %d: cannot parse the record" % start)
        rtype = toks.pop(0).upper()
        if ttl is None:
            ttl = default_ttl if default_ttl is not None else (last_ttl if last_ttl is not None else 3600)
        last_owner, last_ttl = owner, ttl
        entries.append((start, owner, ttl, rtype, toks, comment, origin))
    return entries


def _absolute(name, origin):
    name = name.lower()
    if name == "@":
        return origin
    if name.endswith("."):
        return name[:-1] if name != "." else "."
    return name + "." + origin


def _import_body(entry, zone_name, default_proxied):
    number, owner, ttl, rtype, rdata, comment, origin = entry
    if not rdata:
        raise CFError(400, 1004, "DNS Validation Error: line %d: %s record without data" % (number, rtype))
    body = {"name": owner + ".", "type": rtype, "ttl": ttl}
    if rtype in ("CNAME", "NS", "PTR"):
        body["content"] = _absolute(rdata[0], origin)
    elif rtype == "MX":
        body["priority"] = _intstr(rdata[0], "MX priority")
        body["content"] = _absolute(rdata[1], origin) if len(rdata) > 1 else ""
    elif rtype == "SRV" and len(rdata) == 4:
        body["data"] = {"priority": _intstr(rdata[0], "priority"), "weight": _intstr(rdata[1], "weight"),
                        "port": _intstr(rdata[2], "port"), "target": _absolute(rdata[3], origin)}
    elif rtype == "NAPTR" and len(rdata) == 6:
        body["content"] = " ".join(rdata[:5] + [_absolute(rdata[5], origin)])
    else:
        body["content"] = " ".join(rdata)
    marks = None
    found = re.search(r"cf_tags=(\S*)", comment or "")
    if found:
        marks = [m for m in found.group(1).split(",") if m]
        comment = (comment[:found.start()] + comment[found.end():]).strip()
    tags = []
    proxied = None
    for mark in marks or ():
        if mark.lower().startswith("cf-proxied:"):
            proxied = mark.split(":", 1)[1].lower() == "true"
        else:
            tags.append(mark)
    if proxied is None and rtype in PROXIABLE:
        proxied = default_proxied
    if proxied is not None and rtype in PROXIABLE:
        body["proxied"] = proxied
    if tags:
        body["tags"] = tags
    if comment:
        body["comment"] = comment
    return body


@route("POST", "/zones/{zone_id}/dns_records/import")
def import_records(req, st, zone_id):
    started = datetime.now(timezone.utc)
    zone = st.zone(zone_id)
    form = req.form
    text = form.get("file")
    if text is None:
        raise CFError(400, 1004, "DNS Validation Error: the multipart field 'file' is required")
    if len(text.encode("utf-8")) > 262144:
        raise CFError(400, 1004, "DNS Validation Error: the zone file exceeds 256 KiB")
    proxied = str(form.get("proxied", "false")).strip().lower()
    if proxied not in ("true", "false"):
        raise CFError(400, 1004, "DNS Validation Error: proxied must be 'true' or 'false'")
    entries = parse_bind(text, zone["name"])
    txn = _Txn(_index(st, zone_id))
    added = 0
    try:
        for entry in entries:
            number, owner, rtype, rdata = entry[0], entry[1], entry[3], entry[4]
            if rtype == "SOA":
                continue  # Cloudflare serves its own SOA
            if rtype == "NS" and owner == zone["name"] and rdata and \
                    _absolute(rdata[0], entry[6]).endswith("ns.cloudflare.com"):
                continue  # Cloudflare's own apex NS (as in its own export)
            try:
                rec = build_record(zone, _import_body(entry, zone["name"], proxied == "true"))
                try:
                    check_conflicts(txn.idx, rec, zone["name"])
                except CFError as exc:
                    if exc.errors[0]["code"] == 81058:
                        continue  # already there: not added again
                    raise
            except CFError as exc:
                exc.errors[0]["message"] = "line %d (%s %s): %s" % (number, owner, rtype, exc.errors[0]["message"])
                raise
            txn.put(_stamp(st, rec))
            added += 1
    except CFError:
        txn.rollback()
        raise
    ended = datetime.now(timezone.utc)
    body = {"success": True, "errors": [], "messages": [],
            "result": {"recs_added": added, "total_records_parsed": len(entries)},
            "timing": {"start_time": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "end_time": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "process_time": round((ended - started).total_seconds(), 3)}}
    return Response(body)


# --- batch -----------------------------------------------------------------------------------------------------


@route("POST", "/zones/{zone_id}/dns_records/batch")
def batch_records(req, st, zone_id):
    zone = st.zone(zone_id)
    body = req.json
    if not isinstance(body, dict):
        raise _invalid("the batch body must be an object {deletes, patches, puts, posts}")
    ops = {}
    for key in ("deletes", "patches", "puts", "posts"):
        value = body.get(key)
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise _invalid("%s must be a list of objects" % key)
        ops[key] = value
    total = sum(len(v) for v in ops.values())
    limit = _batch_limit(st, zone_id)
    if total > limit:
        raise CFError(400, 81060, "The batch has %d operations, more than the limit of %d for this zone's plan."
                      % (total, limit))
    txn = _Txn(_index(st, zone_id))
    records = txn.idx.records
    out = {key: [] for key in ops}
    where = ("deletes", 0, {})  # always overwritten before anything in the try block can raise
    try:
        for pos, item in enumerate(ops["deletes"]):
            where = ("deletes", pos, item)
            if item.get("id") not in records:
                raise CFError(404, 81044, "Record does not exist.")
            out["deletes"].append(txn.remove(item["id"]))
        for key, partial in (("patches", True), ("puts", False)):
            for pos, item in enumerate(ops[key]):
                where = (key, pos, item)
                existing = records.get(item.get("id"))
                if existing is None:
                    raise CFError(404, 81044, "Record does not exist.")
                fields = {k: v for k, v in item.items() if k != "id"}
                out[key].append(_write(st, zone, txn, fields, existing, partial))
        for pos, item in enumerate(ops["posts"]):
            where = ("posts", pos, item)
            out["posts"].append(_write(st, zone, txn, {k: v for k, v in item.items() if k != "id"}))
    except CFError as exc:
        txn.rollback()
        key, pos, item = where
        label = item.get("id") or "%s %s" % (item.get("type"), item.get("name"))
        exc.status = 400
        for err in exc.errors:
            err["message"] = "%s[%d] (%s): %s" % (key, pos, label, err["message"])
            err["source"] = {"pointer": "/%s/%d" % (key, pos)}
        raise
    return out


# --- single records ----------------------------------------------------------------------------------------


@route("POST", "/zones/{zone_id}/dns_records")
def create_record(req, st, zone_id):
    zone = st.zone(zone_id)
    txn = _Txn(_index(st, zone_id))
    return _write(st, zone, txn, req.json)


@route("GET", "/zones/{zone_id}/dns_records/{dns_record_id}")
def get_record(req, st, zone_id, dns_record_id):
    st.zone(zone_id)
    return _get_record(st, zone_id, dns_record_id)


@route("PUT", "/zones/{zone_id}/dns_records/{dns_record_id}")
def update_record(req, st, zone_id, dns_record_id):
    zone = st.zone(zone_id)
    existing = _get_record(st, zone_id, dns_record_id)
    return _write(st, zone, _Txn(_index(st, zone_id)), req.json, existing, partial=False)


@route("PATCH", "/zones/{zone_id}/dns_records/{dns_record_id}")
def edit_record(req, st, zone_id, dns_record_id):
    zone = st.zone(zone_id)
    existing = _get_record(st, zone_id, dns_record_id)
    return _write(st, zone, _Txn(_index(st, zone_id)), req.json, existing, partial=True)


@route("DELETE", "/zones/{zone_id}/dns_records/{dns_record_id}")
def delete_record(req, st, zone_id, dns_record_id):
    st.zone(zone_id)
    _get_record(st, zone_id, dns_record_id)
    _index(st, zone_id).remove(dns_record_id)
    return {"id": dns_record_id}
