# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dns_types: every record type parsed from content and from data, compared by meaning, validated, and sent."""
from __future__ import annotations

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils import dns_types as dt
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import (
    RecordError, differs, identity, merged, normalise_record, record_from_api, wire_body,
)

ZONE = "example.org"
SSHFP_HEX = "767efc2f91624a8940f1f836f99eee3692f09e2e8c662248b483b7ffc050fec9"
TLSA_HEX = "8baa7196b50ac2f86702824c1c099724caf4941d4072014b3ce107f80e222f82"
DS_HEX = "1948D33296C87009E8A7F770D9106FD287DB7F1ADBC60926F6967E7893F57FD1"
KEY_B64 = "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="


def norm(**rec):
    return normalise_record(rec, ZONE)


def api(**fields):
    """An API record as Cloudflare returns it now: no zone_id / zone_name (D10)."""
    record = {"id": "0" * 32, "ttl": 1, "proxied": False, "comment": None, "tags": [], "settings": {}}
    record.update(fields)
    return record


# ---------------------------------------------------------------------------------------------------------------
# Every type: content form and data form give the same canonical record, with these exact values
# ---------------------------------------------------------------------------------------------------------------

TYPE_CASES = [
    # type, name, content, data (None: content-only type), priority, expected fqdn, content, content_key
    ("A", "www", "192.0.2.1", None, None, "www.example.org", "192.0.2.1", "192.0.2.1"),
    ("AAAA", "blog", "2001:DB8:4020:2B73:8000:0:0:0", None, None, "blog.example.org",
     "2001:db8:4020:2b73:8000::", "2001:db8:4020:2b73:8000::"),
    ("CNAME", "WWW", "Target.Example.NET.", None, None, "www.example.org", "target.example.net",
     "target.example.net"),
    ("NS", "dev", "ns1.dev-dns.example.net.", None, None, "dev.example.org", "ns1.dev-dns.example.net",
     "ns1.dev-dns.example.net"),
    ("PTR", "10", "host.example.org.", None, None, "10.example.org", "host.example.org", "host.example.org"),
    ("MX", "@", "10 MX1.example.org.", None, None, "example.org", "mx1.example.org", "mx1.example.org"),
    ("TXT", "_dmarc", '"v=DMARC1; p=none"', None, None, "_dmarc.example.org", '"v=DMARC1; p=none"',
     '"v=DMARC1; p=none"'),
    ("OPENPGPKEY", "hash._openpgpkey", "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+ "
     "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==", None, None, "hash._openpgpkey.example.org", KEY_B64, KEY_B64),
    ("SRV", "_sip._tcp", "10 20 5060 SIP.example.org.",
     {"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"}, None,
     "_sip._tcp.example.org", "20 5060 sip.example.org", "5060 sip.example.org"),
    ("URI", "_http._tcp", '10 1 "https://www.example.org/path"',
     {"weight": 1, "target": "https://www.example.org/path"}, 10,
     "_http._tcp.example.org", '1 "https://www.example.org/path"', '"https://www.example.org/path"'),
    ("CAA", "@", '128 ISSUE "letsencrypt.org"', {"flags": 128, "tag": "issue", "value": "letsencrypt.org"}, None,
     "example.org", '128 issue "letsencrypt.org"', '128 issue "letsencrypt.org"'),
    ("HTTPS", "@", '1 . ipv6hint="2001:db8::1" ALPN="h3,h2"',
     {"priority": 1, "target": ".", "value": 'alpn="h3,h2" ipv6hint="2001:db8::1"'}, None,
     "example.org", '1 . alpn="h3,h2" ipv6hint="2001:db8::1"', '1 . alpn="h3,h2" ipv6hint="2001:db8::1"'),
    ("SVCB", "_dns", '1 dns.example.org. alpn=dot port=853',
     {"priority": 1, "target": "dns.example.org", "value": 'alpn="dot" port="853"'}, None,
     "_dns.example.org", '1 dns.example.org alpn="dot" port="853"', '1 dns.example.org alpn="dot" port="853"'),
    ("DS", "dev", "2371 13 2 1948d33296c87009e8a7f770d9106fd2 87db7f1adbc60926f6967e7893f57fd1",
     {"key_tag": 2371, "algorithm": 13, "digest_type": 2, "digest": DS_HEX}, None,
     "dev.example.org", "2371 13 2 " + DS_HEX, "2371 13 2 " + DS_HEX),
    ("DNSKEY", "@", "257 3 13 " + KEY_B64[:40] + " " + KEY_B64[40:],
     {"flags": 257, "protocol": 3, "algorithm": 13, "public_key": KEY_B64}, None,
     "example.org", "257 3 13 " + KEY_B64, "257 3 13 " + KEY_B64),
    ("CERT", "@", "PKIX 12345 8 " + KEY_B64, {"type": 1, "key_tag": 12345, "algorithm": 8, "certificate": KEY_B64},
     None, "example.org", "1 12345 8 " + KEY_B64, "1 12345 8 " + KEY_B64),
    ("SSHFP", "bastion", "4 2 " + SSHFP_HEX, {"algorithm": 4, "type": 2, "fingerprint": SSHFP_HEX.upper()}, None,
     "bastion.example.org", "4 2 " + SSHFP_HEX.upper(), "4 2 " + SSHFP_HEX.upper()),
    ("TLSA", "_25._tcp.mail", "3 1 1 " + TLSA_HEX,
     {"usage": 3, "selector": 1, "matching_type": 1, "certificate": TLSA_HEX.upper()}, None,
     "_25._tcp.mail.example.org", "3 1 1 " + TLSA_HEX.upper(), "3 1 1 " + TLSA_HEX.upper()),
    ("SMIMEA", "abcd._smimecert", "3 0 1 " + TLSA_HEX,
     {"usage": 3, "selector": 0, "matching_type": 1, "certificate": TLSA_HEX.upper()}, None,
     "abcd._smimecert.example.org", "3 0 1 " + TLSA_HEX.upper(), "3 0 1 " + TLSA_HEX.upper()),
    ("NAPTR", "@", '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.org!" .',
     {"order": 100, "preference": 10, "flags": "U", "service": "E2U+sip",
      "regex": "!^.*$!sip:info@example.org!", "replacement": "."}, None,
     "example.org", '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.org!" .',
     '"U" "E2U+sip" "!^.*$!sip:info@example.org!" .'),
    ("LOC", "office", "51 30 12.748 N 0 7 39.611 W 0.00m 1m 10000m 10m",
     {"lat_degrees": 51, "lat_minutes": 30, "lat_seconds": 12.748, "lat_direction": "N", "long_degrees": 0,
      "long_minutes": 7, "long_seconds": 39.611, "long_direction": "W", "altitude": 0, "size": 1,
      "precision_horz": 10000, "precision_vert": 10}, None,
     "office.example.org", "51 30 12.748 N 0 7 39.611 W 0m 1m 10000m 10m",
     "51 30 12.748 N 0 7 39.611 W 0m 1m 10000m 10m"),
]


def test_every_type_is_covered():
    assert sorted(case[0] for case in TYPE_CASES) == sorted(dt.TYPES)


@pytest.mark.parametrize("rtype, name, content, data, priority, fqdn, shown, key", TYPE_CASES,
                         ids=[case[0] for case in TYPE_CASES])
def test_content_form(rtype, name, content, data, priority, fqdn, shown, key):
    rec = norm(name=name, type=rtype.lower(), content=content)
    assert (rec["name"], rec["type"], rec["content"], rec["content_key"]) == (fqdn, rtype, shown, key)
    assert rec["data"] == data
    assert identity(rec) == (fqdn, rtype, key)


@pytest.mark.parametrize("rtype, name, content, data, priority, fqdn, shown, key",
                         [case for case in TYPE_CASES if case[3] is not None],
                         ids=[case[0] for case in TYPE_CASES if case[3] is not None])
def test_data_form_equals_content_form(rtype, name, content, data, priority, fqdn, shown, key):
    from_data = norm(name=fqdn + ".", type=rtype, data=data, priority=priority)
    assert from_data == norm(name=name, type=rtype, content=content)
    assert from_data["content"] == shown


@pytest.mark.parametrize("rtype, name, content, data, priority, fqdn, shown, key", TYPE_CASES,
                         ids=[case[0] for case in TYPE_CASES])
def test_api_echo_of_the_wire_body_compares_equal(rtype, name, content, data, priority, fqdn, shown, key):
    desired = norm(name=name, type=rtype, content=content, ttl=3600)
    body = wire_body(desired)
    returned = dict(body)
    returned["content"] = body.get("content", shown)
    returned["ttl"] = float(body["ttl"])
    if "data" in body:
        returned["data"] = dict((k, float(v) if isinstance(v, int) else v) for k, v in body["data"].items())
    actual = record_from_api(api(**returned), ZONE)
    assert identity(actual) == identity(desired)
    assert differs(desired, actual) == []


def test_mx_priority_from_content_or_option():
    assert norm(name="@", type="MX", content="mx1.example.org", priority=10) == \
        norm(name="@", type="MX", content="10 mx1.example.org.")
    assert norm(name="@", type="MX", content="mx1.example.org", priority=10)["priority"] == 10


def test_null_mx_target_is_kept_as_root():
    assert norm(name="@", type="MX", content="0 .")["content"] == "."


@pytest.mark.parametrize("name, fqdn", [
    ("@", "example.org"), ("", "example.org"), (None, "example.org"), ("www", "www.example.org"),
    ("www.example.org", "www.example.org"), ("WWW.Example.ORG.", "www.example.org"),
    ("*.preview", "*.preview.example.org"), ("example.org.other", "example.org.other.example.org"),
    ("bücher", "xn--bcher-kva.example.org"),
])
def test_name_forms(name, fqdn):
    assert dt.record_fqdn(name, ZONE) == fqdn
    assert dt.relative_name(fqdn, ZONE) == ("@" if fqdn == ZONE else fqdn[:-len(ZONE) - 1])


# ---------------------------------------------------------------------------------------------------------------
# What the API rewrites compares equal; what means something else does not
# ---------------------------------------------------------------------------------------------------------------

REWRITES = [
    ("AAAA uncompressed (D11)", dict(name="blog", type="AAAA", content="2001:db8:4020:2b73:8000:0:0:0"),
     api(name="blog.example.org", type="AAAA", content="2001:db8:4020:2b73:8000::")),
    ("TXT already quoted (D12)", dict(name="t1", type="TXT", content='"thing"'),
     api(name="t1.example.org", type="TXT", content="thing")),
    ("TXT unquoted (D12)", dict(name="t1", type="TXT", content="thing"),
     api(name="t1.example.org", type="TXT", content='"thing"')),
    ("TXT 320 chars split (D13)", dict(name="google._domainkey", type="TXT", content="k" * 320),
     api(name="google._domainkey.example.org", type="TXT", content='"%s" "%s"' % ("k" * 255, "k" * 65))),
    ("SSHFP case and spaces (D6)", dict(name="host", type="SSHFP", content="1 2 " + SSHFP_HEX),
     api(name="host.example.org", type="SSHFP", content="1 2 " + SSHFP_HEX.upper(),
         data={"algorithm": 1.0, "type": 2.0, "fingerprint": " ".join([SSHFP_HEX.upper()[:32],
                                                                      SSHFP_HEX.upper()[32:]])})),
    ("TLSA hex case (D7)", dict(name="_25._tcp.mail", type="TLSA", content="3 1 1 " + TLSA_HEX),
     api(name="_25._tcp.mail.example.org", type="TLSA", content="3 1 1 " + TLSA_HEX.upper(),
         data={"usage": 3, "selector": 1, "matching_type": 1, "certificate": TLSA_HEX.upper()})),
    ("CNAME case and trailing dot", dict(name="www", type="CNAME", content="Example.ORG."),
     api(name="www.example.org", type="CNAME", content="example.org",
         settings={"flatten_cname": False})),
    ("MX priority as float", dict(name="@", type="MX", content="mail.example.org", priority=5),
     api(name="example.org", type="MX", content="mail.example.org", priority=5.0)),
    ("SRV as the API shows it (no service/proto)", dict(name="_sip._tcp", type="SRV",
                                                        content="10 20 5060 sip.example.org."),
     api(name="_sip._tcp.example.org", type="SRV", content="20 5060 sip.example.org", priority=10,
         data={"priority": 10.0, "weight": 20.0, "port": 5060.0, "target": "sip.example.org"})),
    ("SRV without data: content + top-level priority", dict(name="_sip._tcp", type="SRV",
                                                            content="10 20 5060 sip.example.org"),
     api(name="_sip._tcp.example.org", type="SRV", content="20 5060 sip.example.org", priority=10)),
    ("SRV no-service target '.' (D5)", dict(name="_pop3._tcp", type="SRV", content="0 0 0 ."),
     api(name="_pop3._tcp.example.org", type="SRV", content="0 0 .",
         data={"priority": 0, "weight": 0, "port": 0, "target": "."})),
    ("CAA value quoted in data",
     dict(name="@", type="CAA", data={"flags": 0, "tag": "issue", "value": '"letsencrypt.org"'}),
     api(name="example.org", type="CAA", content='0 issue "letsencrypt.org"',
         data={"flags": 0.0, "tag": "issue", "value": "letsencrypt.org"})),
    ("URI priority top level", dict(name="_http._tcp", type="URI", content='10 1 "https://example.org/"'),
     api(name="_http._tcp.example.org", type="URI", priority=10, content='1 "https://example.org/"',
         data={"weight": 1, "target": "https://example.org/"})),
    ("HTTPS params reordered", dict(name="@", type="HTTPS", content='1 . ipv4hint="192.0.2.1" alpn="h2"'),
     api(name="example.org", type="HTTPS", content='1 . alpn="h2" ipv4hint="192.0.2.1"',
         data={"priority": 1, "target": ".", "value": 'alpn="h2" ipv4hint="192.0.2.1"'})),
    ("LOC numbers as floats", dict(name="office", type="LOC", content="51 30 12.748 N 0 7 39.611 W 0m"),
     api(name="office.example.org", type="LOC", content="51 30 12.748 N 0 7 39.611 W 0.00m 1.00m 10000.00m 10.00m",
         data={"lat_degrees": 51.0, "lat_minutes": 30.0, "lat_seconds": 12.748, "lat_direction": "N",
               "long_degrees": 0.0, "long_minutes": 7.0, "long_seconds": 39.611, "long_direction": "W",
               "altitude": 0.0, "size": 1.0, "precision_horz": 10000.0, "precision_vert": 10.0})),
    ("unset comment and tags equal the API's null and []",
     dict(name="www", type="A", content="192.0.2.1", comment="", tags=[]),
     api(name="www.example.org", type="A", content="192.0.2.1", comment=None, tags=None)),
    ("tag names are case-insensitive", dict(name="www", type="A", content="192.0.2.1",
                                            tags=["Owner:dns-team", "env:prod"]),
     api(name="www.example.org", type="A", content="192.0.2.1", tags=["env:prod", "owner:dns-team"])),
    ("empty settings equal the defaults", dict(name="www", type="CNAME", content="example.org", settings={}),
     api(name="www.example.org", type="CNAME", content="example.org", settings={})),
]


@pytest.mark.parametrize("desired, actual", [case[1:] for case in REWRITES], ids=[case[0] for case in REWRITES])
def test_api_rewrites_compare_equal(desired, actual):
    want = normalise_record(desired, ZONE)
    have = record_from_api(actual, ZONE)
    assert identity(want) == identity(have)
    assert differs(want, have) == []


DIFFERENT = [
    ("A address", dict(name="www", type="A", content="192.0.2.1"), dict(name="www", type="A", content="192.0.2.2")),
    ("TXT text", dict(name="t", type="TXT", content='"thing"'), dict(name="t", type="TXT", content="thing2")),
    ("TXT case", dict(name="t", type="TXT", content="Thing"), dict(name="t", type="TXT", content="thing")),
    ("TXT split is not a space", dict(name="t", type="TXT", content='"a" "b"'),
     dict(name="t", type="TXT", content="a b")),
    ("AAAA address", dict(name="v6", type="AAAA", content="2001:db8::1"),
     dict(name="v6", type="AAAA", content="2001:db8::2")),
    ("name", dict(name="a", type="A", content="192.0.2.1"), dict(name="b", type="A", content="192.0.2.1")),
    ("CAA flags", dict(name="@", type="CAA", content='0 issue "letsencrypt.org"'),
     dict(name="@", type="CAA", content='128 issue "letsencrypt.org"')),
    ("SRV port", dict(name="_sip._tcp", type="SRV", content="10 20 5060 sip.example.org"),
     dict(name="_sip._tcp", type="SRV", content="10 20 5061 sip.example.org")),
    ("SRV '.' is not the apex", dict(name="_pop3._tcp", type="SRV", content="0 0 0 ."),
     dict(name="_pop3._tcp", type="SRV", content="0 0 0 example.org")),
    ("SSHFP fingerprint", dict(name="h", type="SSHFP", content="4 2 " + SSHFP_HEX),
     dict(name="h", type="SSHFP", content="4 2 " + SSHFP_HEX[:-1] + "0")),
    ("CAA value case", dict(name="@", type="CAA", content='0 iodef "mailto:A@example.org"'),
     dict(name="@", type="CAA", content='0 iodef "mailto:a@example.org"')),
]


@pytest.mark.parametrize("one, other", [case[1:] for case in DIFFERENT], ids=[case[0] for case in DIFFERENT])
def test_different_values_have_different_identities(one, other):
    assert identity(normalise_record(one, ZONE)) != identity(normalise_record(other, ZONE))


ATTRIBUTE_CHANGES = [
    ("MX priority 5 -> 10 (D9)", dict(name="@", type="MX", content="mail.example.org", priority=10),
     api(name="example.org", type="MX", content="mail.example.org", priority=5), ["priority"]),
    ("SRV weight", dict(name="_sip._tcp", type="SRV", content="10 30 5060 sip.example.org"),
     api(name="_sip._tcp.example.org", type="SRV", content="20 5060 sip.example.org", priority=10,
         data={"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"}), ["data"]),
    ("proxied off -> on (D1)", dict(name="sub", type="A", content="192.0.2.10", proxied=True),
     api(name="sub.example.org", type="A", content="192.0.2.10", ttl=300), ["ttl", "proxied"]),
    ("comment", dict(name="sub", type="A", content="192.0.2.10", comment="web"),
     api(name="sub.example.org", type="A", content="192.0.2.10"), ["comment"]),
    ("flatten_cname", dict(name="www", type="CNAME", content="example.org", settings={"flatten_cname": True}),
     api(name="www.example.org", type="CNAME", content="example.org"), ["settings"]),
    ("unmanaged fields are not compared", dict(name="sub", type="A", content="192.0.2.10"),
     api(name="sub.example.org", type="A", content="192.0.2.10", ttl=300, comment="x", tags=["a:b"],
         settings={"ipv4_only": True}), []),
]


@pytest.mark.parametrize("desired, actual, fields", [case[1:] for case in ATTRIBUTE_CHANGES],
                         ids=[case[0] for case in ATTRIBUTE_CHANGES])
def test_attribute_changes_keep_identity(desired, actual, fields):
    want, have = normalise_record(desired, ZONE), record_from_api(actual, ZONE)
    assert identity(want) == identity(have)
    assert differs(want, have) == fields


# ---------------------------------------------------------------------------------------------------------------
# Validation: every error names the record, its type and the field
# ---------------------------------------------------------------------------------------------------------------

ERRORS = [
    (dict(name="www", type="A", content="300.1.1.1"), "content",
     "record 'www' type A: content '300.1.1.1' is not a valid IPv4 address"),
    (dict(name="v6", type="AAAA", content="192.0.2.1"), "content", "is not a valid IPv6 address"),
    (dict(name="www", type="CNAME", content="bad name!"), "content", "is not a valid host name"),
    (dict(name="www", type="CNAME", content="www.example.org"), "content", "must not point to its own name"),
    (dict(name="x", type="SPF", content="v=spf1"), "type", "type 'SPF' is not one of"),
    (dict(name="x.other.org.", type="A", content="192.0.2.1"), "name", "is not inside zone example.org"),
    (dict(name="bad_label!", type="A", content="192.0.2.1"), "name", "is not a valid host name"),
    (dict(name="www", type="A", content="192.0.2.1", ttl=30), "ttl", "ttl 30 is out of range: use 1 (automatic) "
                                                                     "or 60..86400"),
    (dict(name="www", type="A", content="192.0.2.1", ttl=86401), "ttl", "out of range"),
    (dict(name="www", type="A", content="192.0.2.1", ttl="soon"), "ttl", "is not a whole number"),
    (dict(name="www", type="A", content="192.0.2.1", proxied="yes"), "proxied", "must be true or false"),
    (dict(name="t", type="TXT", content="x", proxied=True), "proxied",
     "record 't' type TXT: only A, AAAA and CNAME records can be proxied"),
    (dict(name="@", type="MX", content="10 mail.example.org", proxied=True), "proxied", "can be proxied"),
    (dict(name="w", type="A", content="192.0.2.1", proxied=True, ttl=43200), "ttl",
     "a proxied record always has TTL 1 (automatic)"),
    (dict(name="w", type="CNAME", content="x.example.net", proxied=True, settings={"flatten_cname": True}),
     "settings.flatten_cname", "unavailable for proxied records"),
    (dict(name="w", type="A", content="192.0.2.1", settings={"flatten_cname": True}), "settings.flatten_cname",
     "is not a A setting"),
    (dict(name="w", type="A", content="192.0.2.1", settings={"ipv4_only": "on"}), "settings.ipv4_only",
     "must be true or false"),
    (dict(name="w", type="A", content="192.0.2.1", comment="a\nb"), "comment", "single line"),
    (dict(name="w", type="A", content="192.0.2.1", comment="c" * 501), "comment", "the limit is 500"),
    (dict(name="w", type="A", content="192.0.2.1", tags="owner:me"), "tags", "must be a list"),
    (dict(name="w", type="A", content="192.0.2.1", tags=["bad tag:x"]), "tags", "must look like name:value"),
    (dict(name="w", type="A", content="192.0.2.1", colour="red"), "colour", "is not a record option"),
    (dict(name="w", type="A"), "content", "content (or data) is required"),
    (dict(name="w", type="A", data={"x": 1}), "data", "type A takes content, not data"),
    (dict(name="@", type="CAA", content='0 issue "a"', data={"flags": 0}), "data", "either content or data"),
    (dict(name="w", type="A", content="192.0.2.1", priority=1), "priority", "applies only to MX"),
    (dict(name="@", type="MX", content="mail.example.org"), "priority", "priority is required"),
    (dict(name="@", type="MX", content="10 mail.example.org", priority=20), "priority", "disagrees with 10"),
    (dict(name="@", type="MX", content="70000 mail.example.org"), "priority", "out of range 0..65535"),
    (dict(name="_sip._tcp", type="SRV", data={"priority": 1, "weight": 1, "port": 70000, "target": "x.org"}),
     "data.port", "record '_sip._tcp' type SRV: data.port 70000 is out of range 0..65535"),
    (dict(name="_sip._tcp", type="SRV", content="1 1 5060"), "content", "needs 4 fields"),
    (dict(name="_sip._tcp", type="SRV", content="1 x 5060 sip.example.org"), "content",
     "content field weight 'x' is not a number"),
    (dict(name="_sip._tcp", type="SRV", data={"priority": 1, "weight": 1.5, "port": 1, "target": "x.org"}),
     "data.weight", "is not a whole number"),
    (dict(name="_sip._tcp", type="SRV", data={"priority": 1, "weight": 1, "port": 1}), "data.target",
     "data.target is required"),
    (dict(name="_sip._tcp", type="SRV", data={"priority": 1, "weight": 1, "port": 1, "target": "x.org", "ttl": 5}),
     "data.ttl", "is not a SRV field"),
    (dict(name="sip", type="SRV", content="1 1 5060 sip.example.org"), "name",
     "an SRV record name must look like _service._proto[.name]"),
    (dict(name="mail", type="TLSA", content="3 1 1 " + TLSA_HEX), "name", "_port._proto.host"),
    (dict(name="_25._tcp.mail", type="TLSA", content="3 1 1 abcd"), "data.certificate",
     "certificate must be 64 hexadecimal digits for matching_type 1, got 4"),
    (dict(name="_25._tcp.mail", type="TLSA", content="3 1 1 xyz0"), "content", "hexadecimal digits"),
    (dict(name="_25._tcp.mail", type="TLSA", content="3 1 256 " + TLSA_HEX), "content", "out of range 0..255"),
    (dict(name="x._smimecert", type="SMIMEA", content="3 0 2 " + TLSA_HEX), "data.certificate",
     "128 hexadecimal digits"),
    (dict(name="h", type="SSHFP", content="4 1 " + SSHFP_HEX), "data.fingerprint", "40 hexadecimal digits"),
    (dict(name="d", type="DS", content="2371 13 2 ABCD"), "data.digest", "64 hexadecimal digits"),
    (dict(name="@", type="DNSKEY", content="257 3 13 not*base64"), "content", "is not valid base64"),
    (dict(name="@", type="CAA", content='256 issue "x"'), "content", "out of range 0..255"),
    (dict(name="@", type="CAA", content='0 policy "x"'), "content", "is not a CAA tag"),
    (dict(name="@", type="CAA", content='0 iodef "security@example.org"'), "data.value", "mailto:"),
    (dict(name="@", type="HTTPS", content="1 . color=red"), "content", "unknown service parameter"),
    (dict(name="@", type="LOC", content="91 0 0 N 0 0 0 E 0m"), "content", "out of range 0..90"),
    (dict(name="@", type="LOC", content="51 30 N 0 7 X 0m"), "content", "is not LOC presentation"),
    (dict(name="@", type="LOC", data={"lat_degrees": 1, "lat_direction": "X", "long_degrees": 1,
                                      "long_direction": "E"}), "data.lat_direction", "must be N or S"),
    (dict(name="@", type="NAPTR", content='1 1 "U!" "s" "r" .'), "content", "letters and digits only"),
    (dict(name="t", type="TXT", content='"unterminated'), "content", "unterminated quoted string"),
    (dict(name="@", type="SRV", data={"service": "_x", "priority": 1, "weight": 1, "port": 1, "target": "x.org"}),
     "data.service", "must be given together"),
]


@pytest.mark.parametrize("rec, field, message", ERRORS, ids=["%s-%s" % (e[0]["type"], e[1]) for e in ERRORS])
def test_validation_names_record_and_field(rec, field, message):
    with pytest.raises(RecordError) as info:
        normalise_record(rec, ZONE)
    assert info.value.field == field
    assert str(info.value).startswith("record %r type %s: " % (rec.get("name", "@"), rec["type"].upper()))
    assert message in str(info.value)


def test_ttl_bounds_and_minimum_parameter():
    assert norm(name="w", type="A", content="192.0.2.1", ttl=1)["ttl"] == 1
    assert norm(name="w", type="A", content="192.0.2.1", ttl=60.0)["ttl"] == 60
    assert norm(name="w", type="A", content="192.0.2.1", ttl=86400)["ttl"] == 86400
    assert normalise_record(dict(name="w", type="A", content="192.0.2.1", ttl=30), ZONE, min_ttl=30)["ttl"] == 30
    with pytest.raises(RecordError, match="use 1 \\(automatic\\) or 30..86400"):
        normalise_record(dict(name="w", type="A", content="192.0.2.1", ttl=29), ZONE, min_ttl=30)


def test_comment_limit_is_a_parameter():
    with pytest.raises(RecordError, match="limit is 100"):
        normalise_record(dict(name="w", type="A", content="192.0.2.1", comment="c" * 101), ZONE, max_comment=100)


def test_tags_canonical():
    assert norm(name="w", type="A", content="192.0.2.1", tags=["Env:Prod", "owner:", "env:Prod"])["tags"] == \
        ["env:Prod", "owner"]


def test_caa_flags_0_and_128_are_valid_d8():
    assert norm(name="@", type="CAA", content='0 issue "letsencrypt.org"')["data"]["flags"] == 0
    rec = norm(name="example.org", type="CAA", data={"flags": 128, "tag": "issue", "value": "letsencrypt.org"})
    assert rec["data"] == {"flags": 128, "tag": "issue", "value": "letsencrypt.org"}
    assert wire_body(rec)["data"] == {"flags": 128, "tag": "issue", "value": "letsencrypt.org"}


# ---------------------------------------------------------------------------------------------------------------
# Wire bodies (D2-D5, D13-D15)
# ---------------------------------------------------------------------------------------------------------------

def test_srv_create_body_d2_d4():
    rec = norm(name="_sip._tcp.example.org", type="SRV",
               data={"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"})
    assert wire_body(rec) == {"name": "_sip._tcp.example.org", "type": "SRV", "ttl": 1,
                              "data": {"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"}}


def test_srv_at_apex_from_legacy_service_proto_d3():
    rec = norm(name="@", type="SRV", data={"service": "_xmpp", "proto": "tcp", "priority": 5, "weight": 0,
                                           "port": 5222, "target": "chat.example.org"})
    body = wire_body(rec)
    assert body["name"] == "_xmpp._tcp.example.org"
    assert sorted(body["data"]) == ["port", "priority", "target", "weight"]
    assert rec == norm(name="_xmpp._tcp", type="SRV", content="5 0 5222 chat.example.org.")


def test_srv_legacy_data_name_is_the_host_part():
    rec = norm(name="ignored", type="SRV", data={"service": "_sip", "proto": "_udp", "name": "voice",
                                                 "priority": 1, "weight": 1, "port": 5060, "target": "x.org"})
    assert rec["name"] == "_sip._udp.voice.example.org"


def test_srv_root_target_is_sent_as_a_dot_d5():
    body = wire_body(norm(name="_pop3._tcp", type="SRV", content="0 0 0 ."))
    assert body["data"] == {"priority": 0, "weight": 0, "port": 0, "target": "."}


def test_txt_body_is_pre_split_never_double_quoted_d12_d13():
    value = "v=DKIM1; k=rsa; p=" + "A" * 302
    body = wire_body(norm(name="google._domainkey", type="TXT", content=value))
    assert body["content"] == '"%s" "%s"' % (value[:255], value[255:])
    assert dt.txt_value(body["content"]) == value
    assert wire_body(norm(name="t1", type="TXT", content='"thing"'))["content"] == '"thing"'
    assert wire_body(norm(name="t1", type="TXT", content="thing"))["content"] == '"thing"'


def test_txt_escapes_round_trip():
    value = 'say "hi" \\ bye'
    rec = norm(name="t", type="TXT", content=value)
    assert rec["content"] == '"say \\"hi\\" \\\\ bye"'
    assert dt.txt_value(rec["content"]) == value
    assert norm(name="t", type="TXT", content=rec["content"]) == rec


def test_txt_split_counts_bytes_not_characters():
    value = "é" * 200
    chunks = [v for v, _raw in dt.split_tokens(dt.txt_content(value))]
    assert [len(c.encode("utf-8")) for c in chunks] == [254, 146]
    assert "".join(chunks) == value


def test_simple_bodies():
    assert wire_body(norm(name="www", type="A", content="192.0.2.1", ttl=300)) == \
        {"name": "www.example.org", "type": "A", "ttl": 300, "proxied": False, "content": "192.0.2.1"}
    assert wire_body(norm(name="@", type="MX", content="10 mail.example.org.")) == \
        {"name": "example.org", "type": "MX", "ttl": 1, "content": "mail.example.org", "priority": 10}
    assert wire_body(norm(name="_http._tcp", type="URI", content='10 1 "https://example.org/"')) == \
        {"name": "_http._tcp.example.org", "type": "URI", "ttl": 1, "priority": 10,
         "data": {"weight": 1, "target": "https://example.org/"}}


def test_proxied_without_ttl_means_ttl_1_d15():
    rec = norm(name="sub", type="A", content="192.0.2.10", proxied=True)
    assert rec["ttl"] == 1
    assert wire_body(rec)["ttl"] == 1
    actual = record_from_api(api(name="sub.example.org", type="A", content="192.0.2.10", proxied=True), ZONE)
    assert differs(rec, actual) == []


def test_ttl_on_an_existing_proxied_record_is_refused_d15():
    actual = record_from_api(api(name="sub.example.org", type="A", content="192.0.2.10", proxied=True), ZONE)
    with pytest.raises(RecordError) as info:
        wire_body(norm(name="sub", type="A", content="192.0.2.10", ttl=43200), actual)
    assert info.value.field == "ttl"
    assert "existing record is proxied" in str(info.value)


def test_put_keeps_unmanaged_fields_and_clears_emptied_ones():
    actual = record_from_api(api(name="www.example.org", type="A", content="192.0.2.1", ttl=300, comment="web",
                                 tags=["owner:ops"]), ZONE)
    keep = wire_body(norm(name="www", type="A", content="192.0.2.2"), actual)
    assert keep == {"name": "www.example.org", "type": "A", "ttl": 300, "proxied": False, "content": "192.0.2.2",
                    "comment": "web", "tags": ["owner:ops"]}
    cleared = wire_body(norm(name="www", type="A", content="192.0.2.1", comment="", tags=[]), actual)
    assert (cleared["comment"], cleared["tags"]) == ("", [])
    assert merged(norm(name="www", type="A", content="192.0.2.1"), actual)["id"] == actual["id"]


def test_settings_sent_only_when_set_or_clearing():
    rec = norm(name="www", type="CNAME", content="example.org", settings={"flatten_cname": True})
    assert wire_body(rec)["settings"] == {"ipv4_only": False, "ipv6_only": False, "flatten_cname": True}
    assert "settings" not in wire_body(norm(name="www", type="CNAME", content="example.org"))


# ---------------------------------------------------------------------------------------------------------------
# Reading API records
# ---------------------------------------------------------------------------------------------------------------

def test_record_from_api_without_zone_fields_d10():
    rec = record_from_api({"id": "abc", "name": "www.example.org", "type": "A", "content": "192.0.2.1",
                           "ttl": 1.0, "proxied": True}, ZONE)
    assert rec == {"id": "abc", "name": "www.example.org", "type": "A", "content": "192.0.2.1",
                   "content_key": "192.0.2.1", "data": None, "priority": None, "ttl": 1, "proxied": True,
                   "comment": "", "tags": [], "settings": {"ipv4_only": False, "ipv6_only": False}}


def test_record_from_api_tolerates_what_it_cannot_read():
    rec = record_from_api(api(name="odd.example.org", type="SSHFP", content="garbage"), ZONE)
    assert (rec["content"], rec["content_key"]) == ("garbage", "garbage")
    rec = record_from_api(api(name="odd.example.org", type="DNAME", content="x.example.net"), ZONE)
    assert rec["type"] == "DNAME" and rec["content_key"] == "x.example.net"


def test_presentation_is_zone_file_rdata():
    assert dt.presentation(norm(name="@", type="MX", content="10 mail.example.org")) == "10 mail.example.org."
    assert dt.presentation(norm(name="_pop3._tcp", type="SRV", content="0 0 0 .")) == "0 0 0 ."
    assert dt.presentation(norm(name="w", type="CNAME", content="example.org"), zone=False) == "example.org"


def test_absolute_rdata_qualifies_relative_names():
    assert dt.absolute_rdata("MX", "10 mx1", ZONE) == "10 mx1.example.org"
    assert dt.absolute_rdata("CNAME", "@", ZONE) == "example.org"
    assert dt.absolute_rdata("SRV", "0 0 0 .", ZONE) == "0 0 0 ."
    assert dt.absolute_rdata("TXT", '"mx1"', ZONE) == '"mx1"'
    assert dt.absolute_rdata("NAPTR", '1 1 "U" "s" "r" sip', ZONE) == '1 1 "U" "s" "r" sip.example.org'


def test_https_alias_mode_has_no_parameters():
    rec = norm(name="@", type="HTTPS", content="0 cdn.example.net.")
    assert rec["data"] == {"priority": 0, "target": "cdn.example.net", "value": ""}
    assert rec["content"] == "0 cdn.example.net"
    actual = record_from_api(api(name="example.org", type="HTTPS", content="0 cdn.example.net",
                                 data={"priority": 0, "target": "cdn.example.net", "value": ""}), ZONE)
    assert identity(actual) == identity(rec) and differs(rec, actual) == []


def test_record_from_api_falls_back_to_content_when_data_is_partial():
    rec = record_from_api(api(name="_sip._tcp.example.org", type="SRV", content="20 5060 sip.example.org",
                              priority=10, data={"target": "sip.example.org"}, ttl=None), ZONE)
    assert rec["data"] == {"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"}
    assert rec["ttl"] == 1
