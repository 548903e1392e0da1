# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zonefile: BIND parsing (syntax, Cloudflare's cf-proxied marks) on the shared example zone, and rendering back."""
from __future__ import annotations

import collections
import os

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import (
    identity, normalise_record, txt_value,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.zonefile import (
    ZoneFileError, parse_zone, render_zone, ttl_seconds,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
EXAMPLE_ZONE = os.path.join(ROOT, "..", "shared", "data", "zones", "example.org.zone")


@pytest.fixture(scope="module")
def example():
    with open(EXAMPLE_ZONE, encoding="utf-8") as handle:
        return parse_zone(handle.read())


def by_name(records, name, rtype):
    return [rec for rec in records if rec["name"] == name and rec["type"] == rtype]


def test_example_zone_counts(example):
    records, skipped = example
    assert len(records) == 400
    assert dict(collections.Counter(rec["type"] for rec in records)) == {
        "CNAME": 180, "A": 135, "AAAA": 47, "TXT": 19, "NS": 4, "SRV": 4, "MX": 3, "CAA": 3, "SSHFP": 3,
        "TLSA": 1, "DS": 1}
    assert skipped == [{"line": 3, "name": "example.org", "type": "SOA", "reason": "SOA is managed by Cloudflare"}]


def test_example_zone_proxied_marks(example):
    records, _skipped = example
    proxied = [rec for rec in records if rec["proxied"]]
    assert len(proxied) == 205
    assert collections.Counter(rec["type"] for rec in proxied) == {"CNAME": 177, "A": 28}
    assert all(rec["ttl"] == 1 for rec in proxied)
    assert by_name(records, "nextcloud.example.org", "A")[0]["proxied"] is True
    assert by_name(records, "nextcloud.example.org", "AAAA")[0]["proxied"] is False


def test_example_zone_values(example):
    records, _skipped = example
    assert by_name(records, "example.org", "MX")[0] == {
        "name": "example.org", "type": "MX", "content": "10 mx1.example.org", "ttl": 3600, "proxied": False}
    assert by_name(records, "www.example.org", "CNAME")[0]["content"] == "example.org"
    assert by_name(records, "_pop3._tcp.example.org", "SRV")[0]["content"] == "0 0 0 ."
    assert [r["ttl"] for r in by_name(records, "example.org", "NS")] == [86400, 86400]
    assert by_name(records, "*.preview.example.org", "CNAME")[0]["content"] == "preview-lb.example.org"


def test_example_zone_dkim_joined(example):
    records, _skipped = example
    dkim = by_name(records, "default._domainkey.example.org", "TXT")[0]
    value = txt_value(dkim["content"])
    assert len(value) == 410
    assert value.startswith("v=DKIM1; k=rsa; p=pTyGJMuH") and value.endswith("al5WisCgEB")
    canonical = normalise_record(dkim, "example.org")
    assert txt_value(canonical["content"]) == value
    assert canonical["content"].count('" "') == 1


def test_example_zone_ipv6_compressed(example):
    records, _skipped = example
    canonical = [normalise_record(rec, "example.org") for rec in records if rec["type"] == "AAAA"]
    uncompressed = [rec for rec in records if rec["type"] == "AAAA" and ":0:0:" in rec["content"]]
    assert len(uncompressed) == 12
    assert normalise_record(by_name(records, "nextcloud.example.org", "AAAA")[0], "example.org")["content"] == \
        "2001:db8:4020:2b73:8000::2"
    assert not [rec for rec in canonical if ":0:0:" in rec["content"]]


def test_example_zone_every_record_normalises(example):
    records, _skipped = example
    canonical = [normalise_record(rec, "example.org") for rec in records]
    assert len(set(identity(rec) for rec in canonical)) == 400
    srv = [rec for rec in canonical if rec["type"] == "SRV"]
    assert {rec["name"]: rec["data"]["target"] for rec in srv}["_pop3._tcp.example.org"] == "."


def test_render_round_trip(example):
    records, _skipped = example
    canonical = [normalise_record(rec, "example.org") for rec in records]
    text = render_zone(canonical, "example.org")
    assert text.startswith("$ORIGIN example.org.\n")
    assert "nextcloud.example.org.\t1\tIN\tA\t192.0.2.10 ; cf_tags=cf-proxied:true\n" in text
    again, skipped = parse_zone(text)
    assert skipped == []
    assert [normalise_record(rec, "example.org") for rec in again] == canonical


ZONE_TEXT = """\
$ORIGIN example.com.
$TTL 1h
@   IN  SOA ns1 hostmaster ( 2026120301 ; serial
            7200 3600 1209600 3600 )
@           A       192.0.2.1      ; apex
            AAAA    2001:db8::1
www 300 IN  CNAME   @
mail IN 600 MX  10 mx1
txt         TXT     "semi;colon" "quote\\"inside" ( "third"
                     "fourth" )
off 1 IN A 192.0.2.9 ; cf_tags=cf-proxied:false
on 1 IN A 192.0.2.8 ; cf_tags=cf-proxied:true
$ORIGIN sub.example.com.
host        A       192.0.2.2
abs.other.example.com. 2d A 192.0.2.3
"""


def test_syntax_features():
    records, skipped = parse_zone(ZONE_TEXT)
    assert [s["type"] for s in skipped] == ["SOA"]
    assert [(r["name"], r["type"], r["content"], r["ttl"], r["proxied"]) for r in records] == [
        ("example.com", "A", "192.0.2.1", 3600, False),
        ("example.com", "AAAA", "2001:db8::1", 3600, False),
        ("www.example.com", "CNAME", "example.com", 300, False),
        ("mail.example.com", "MX", "10 mx1.example.com", 600, False),
        ("txt.example.com", "TXT", '"semi;colon" "quote\\"inside" "third" "fourth"', 3600, False),
        ("off.example.com", "A", "192.0.2.9", 1, False),
        ("on.example.com", "A", "192.0.2.8", 1, True),
        ("host.sub.example.com", "A", "192.0.2.2", 3600, False),
        ("abs.other.example.com", "A", "192.0.2.3", 172800, False),
    ]
    assert txt_value(records[4]["content"]) == 'semi;colonquote"insidethirdfourth'


def test_origin_parameter_and_ttl_from_previous_record():
    records, _skipped = parse_zone("www 300 A 192.0.2.1\nftp A 192.0.2.2\n", origin="example.net")
    assert [(r["name"], r["ttl"]) for r in records] == [("www.example.net", 300), ("ftp.example.net", 300)]


@pytest.mark.parametrize("text, line, message", [
    ("$ORIGIN example.com.\n$INCLUDE other.zone\n", 2, "$INCLUDE is not supported"),
    ("$GENERATE 1-10 host$ A 192.0.2.$\n", 1, "$GENERATE is not supported"),
    ("$ORIGIN example.com.\nwww A 192.0.2.1\n", 2, "no TTL and there is no $TTL"),
    ("www 300 A 192.0.2.1\n", 1, "relative name 'www' used before $ORIGIN"),
    ("$TTL 300\n$ORIGIN example.com.\n  A 192.0.2.1\n", 3, "the first record has no owner name"),
    ("$TTL 300\n$ORIGIN example.com.\nx CH A 192.0.2.1\n", 3, "class CH is not supported"),
    ("$TTL 300\n$ORIGIN example.com.\nx DNAME y\n", 3, "type DNAME is not supported"),
    ("$TTL 300\n$ORIGIN example.com.\nx TXT \"open\n", 3, "unterminated quoted string"),
    ("$TTL 300\n$ORIGIN example.com.\nx TXT ( \"a\"\n", 3, "'(' is never closed"),
    ("$TTL soon\n", 1, "$TTL 'soon' is not a TTL"),
    ("$TTL 300\n$ORIGIN example.com.\nx A\n", 3, "A record has no data"),
])
def test_errors_name_the_line(text, line, message):
    with pytest.raises(ZoneFileError) as info:
        parse_zone(text)
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith("zone file line %d: " % line)


def test_ttl_units():
    assert [ttl_seconds(t) for t in ("300", "1h30m", "2D", "1w", "IN", "10x")] == [300, 5400, 172800, 604800,
                                                                                   None, None]
