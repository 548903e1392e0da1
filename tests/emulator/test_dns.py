"""Fidelity of the emulator's DNS family (cfemu/dns.py): the official SDK parses every answer, and the
emulator validates and rewrites records the way Cloudflare does (cases D1-D16 of cloudflare-cases.md)."""
from __future__ import annotations

import collections
import json
import os
import time
import urllib.parse

import cloudflare
import pytest

ZONE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "zones",
                         "example.org.zone")


@pytest.fixture
def cf(emulator):
    client = cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("example.com")


def raw(emulator, method, path, body=None):
    return emulator.api(method, path, body)


def records_path(zone, suffix=""):
    return "/zones/%s/dns_records%s" % (zone["id"], suffix)


def error_code(exc_info):
    return exc_info.value.errors[0].code if exc_info.value.errors else exc_info.value.body["errors"][0]["code"]


def all_records(emulator, zone):
    return raw(emulator, "GET", records_path(zone, "?per_page=5000000"))["result"]


# --- SDK parses every answer -------------------------------------------------------------------------------------

SAMPLES = [
    ("ARecord", dict(name="a", type="A", content="192.0.2.1")),
    ("AAAARecord", dict(name="aaaa", type="AAAA", content="2001:db8::1")),
    ("CNAMERecord", dict(name="alias", type="CNAME", content="target.example.net")),
    ("MXRecord", dict(name="@", type="MX", content="mail.example.com", priority=10)),
    ("NSRecord", dict(name="sub", type="NS", content="ns1.example.net")),
    ("PTRRecord", dict(name="1.2", type="PTR", content="host.example.com")),
    ("TXTRecord", dict(name="txt", type="TXT", content="hello")),
    # the SDK's OpenpgpkeyRecord declares comment as a required str, so a null comment would make the SDK fall
    # back to its first union member; with a comment it picks the right model
    ("OpenpgpkeyRecord", dict(name="pgp", type="OPENPGPKEY", content="bWF0aHM=", comment="key")),
    ("CAARecord", dict(name="@", type="CAA", data={"flags": 0, "tag": "issue", "value": "letsencrypt.org"})),
    ("CERTRecord", dict(name="cert", type="CERT", data={"type": 1, "key_tag": 0, "algorithm": 0,
                                                        "certificate": "AAAA"})),
    ("DNSKEYRecord", dict(name="@", type="DNSKEY", data={"flags": 257, "protocol": 3, "algorithm": 13,
                                                         "public_key": "mdsswUyr3DPW132mOi8V9xESWE8jTo0d"})),
    ("DSRecord", dict(name="sub", type="DS", data={"key_tag": 2371, "algorithm": 13, "digest_type": 2,
                                                   "digest": "1948d33296c87009"})),
    ("HTTPSRecord", dict(name="web", type="HTTPS", data={"priority": 1, "target": ".", "value": 'alpn="h2"'})),
    ("SVCBRecord", dict(name="svc", type="SVCB", data={"priority": 2, "target": "foo.", "value": 'alpn="h3,h2"'})),
    ("LOCRecord", dict(name="loc", type="LOC", data={
        "lat_degrees": 37, "lat_minutes": 46, "lat_seconds": 46, "lat_direction": "N", "long_degrees": 122,
        "long_minutes": 23, "long_seconds": 35, "long_direction": "W", "altitude": 0, "size": 100,
        "precision_horz": 0, "precision_vert": 0})),
    ("NAPTRRecord", dict(name="naptr", type="NAPTR", data={
        "order": 100, "preference": 10, "flags": "S", "service": "SIP+D2U", "regex": "",
        "replacement": "_sip._udp.example.com"})),
    ("SMIMEARecord", dict(name="smimea", type="SMIMEA", data={"usage": 3, "selector": 1, "matching_type": 1,
                                                              "certificate": "abcdef"})),
    ("SRVRecord", dict(name="_sip._tcp", type="SRV", data={"priority": 10, "weight": 20, "port": 5060,
                                                           "target": "sip.example.com"})),
    ("SSHFPRecord", dict(name="host", type="SSHFP", data={"algorithm": 4, "type": 2, "fingerprint": "abcd"})),
    ("TLSARecord", dict(name="_25._tcp.mail", type="TLSA", data={"usage": 3, "selector": 1, "matching_type": 1,
                                                                 "certificate": "8baa71"})),
    ("URIRecord", dict(name="_ftp._tcp", type="URI", priority=10, data={"weight": 1,
                                                                        "target": "ftp://ftp.example.com/"})),
]


def test_sdk_parses_create_get_list_update_edit_delete_for_every_type(cf, zone, emulator):
    created = {}
    for model, params in SAMPLES:
        rec = cf.dns.records.create(zone_id=zone["id"], ttl=3600, **params)
        assert type(rec).__name__ == model, params
        assert rec.id and rec.created_on and rec.modified_on and rec.proxiable is (params["type"] in
                                                                                   ("A", "AAAA", "CNAME"))
        created[params["type"]] = rec
        got = cf.dns.records.get(rec.id, zone_id=zone["id"])
        assert type(got).__name__ == model and got.content == rec.content
    listed = list(cf.dns.records.list(zone_id=zone["id"]))
    assert sorted(type(r).__name__ for r in listed) == sorted(m for m, _params in SAMPLES)

    a = created["A"]
    updated = cf.dns.records.update(a.id, zone_id=zone["id"], name="a", type="A", content="192.0.2.2", ttl=300,
                                    comment="web")
    assert (updated.id, updated.content, updated.ttl, updated.comment) == (a.id, "192.0.2.2", 300, "web")
    assert updated.created_on == a.created_on and updated.comment_modified_on is not None
    edited = cf.dns.records.edit(a.id, zone_id=zone["id"], name="a.example.com", type="A", ttl=600)
    assert (edited.content, edited.ttl, edited.comment) == ("192.0.2.2", 600, "web")  # PATCH keeps the rest
    deleted = cf.dns.records.delete(a.id, zone_id=zone["id"])
    assert deleted.id == a.id
    with pytest.raises(cloudflare.NotFoundError) as err:
        cf.dns.records.get(a.id, zone_id=zone["id"])
    assert error_code(err) == 81044


def test_record_shape_defaults_and_no_zone_fields(emulator, zone):
    """D10: no zone_id/zone_name; server defaults filled in; timestamps of comment/tags only when set."""
    rec = raw(emulator, "POST", records_path(zone), {"name": "www", "type": "A", "content": "192.0.2.1"})["result"]
    assert "zone_id" not in rec and "zone_name" not in rec
    assert rec["ttl"] == 1 and rec["proxied"] is False and rec["proxiable"] is True
    assert rec["comment"] is None and rec["tags"] == [] and rec["settings"] == {} and rec["meta"] == {}
    assert "comment_modified_on" not in rec and "tags_modified_on" not in rec
    cname = raw(emulator, "POST", records_path(zone), {"name": "c", "type": "CNAME", "content": "www.example.com",
                                                       "comment": "x", "tags": ["team:dns"]})["result"]
    assert cname["settings"] == {"flatten_cname": False, "ipv4_only": False, "ipv6_only": False}
    assert cname["comment_modified_on"] and cname["tags_modified_on"]
    listed = all_records(emulator, zone)
    assert all("zone_id" not in r and "zone_name" not in r for r in listed)


# --- rewrites (values, not just "no crash") --------------------------------------------------------------------


def test_rewrites_d6_d7_d11_d12_d13(cf, zone, emulator):
    zid = zone["id"]
    sshfp = cf.dns.records.create(zone_id=zid, name="host", type="SSHFP", ttl=1,
                                  data={"algorithm": 1, "type": 2, "fingerprint": "123456789abcdef67890123456789abcdef67890"})
    assert sshfp.content == "1 2 123456789ABCDEF67890123456789ABCDEF67890"
    assert sshfp.data.fingerprint == "123456789ABCDEF67890123456789ABCDEF67890"
    tlsa = cf.dns.records.create(zone_id=zid, name="_25._tcp.mail", type="TLSA", ttl=1,
                                 data={"usage": 3, "selector": 1, "matching_type": 1, "certificate": "8baa7196b5"})
    assert tlsa.content == "3 1 1 8BAA7196B5" and tlsa.data.certificate == "8BAA7196B5"
    # D7: the same TLSA again (lower case) is the same record: 81058, no second record
    with pytest.raises(cloudflare.BadRequestError) as err:
        cf.dns.records.create(zone_id=zid, name="_25._tcp.mail", type="TLSA", ttl=1,
                              data={"usage": 3, "selector": 1, "matching_type": 1, "certificate": "8BAA7196b5"})
    assert error_code(err) == 81058
    ds = cf.dns.records.create(zone_id=zid, name="sec", type="DS", ttl=1, content="2371 13 2 1948d332 96c8")
    assert ds.content == "2371 13 2 1948D33296C8" and ds.data.key_tag == 2371

    aaaa = cf.dns.records.create(zone_id=zid, name="blog", type="AAAA", ttl=1, content="2001:DB8:4020:2b73:8000:0:0:0")
    assert aaaa.content == "2001:db8:4020:2b73:8000::"  # D11

    quoted = cf.dns.records.create(zone_id=zid, name="t1", type="TXT", ttl=1, content='"thing"')
    assert quoted.content == '"thing"'  # D12: no quote doubling
    with pytest.raises(cloudflare.BadRequestError) as err:
        cf.dns.records.create(zone_id=zid, name="t1", type="TXT", ttl=1, content="thing")
    assert error_code(err) == 81058  # the unquoted form is the same record
    unq = cf.dns.records.create(zone_id=zid, name="t2", type="TXT", ttl=1, content='say "hi"')
    assert unq.content == '"say \\"hi\\""'

    long_value = "v=DKIM1; k=rsa; p=" + "A" * 302  # 320 characters
    dkim = cf.dns.records.create(zone_id=zid, name="google._domainkey", type="TXT", ttl=1, content=long_value)
    parts = json.loads("[%s]" % dkim.content.replace('" "', '", "'))
    assert [len(p) for p in parts] == [255, 65] and "".join(parts) == long_value  # D13

    names = {(r["name"], r["content"]) for r in all_records(emulator, zone)}
    assert ("host.example.com", "1 2 123456789ABCDEF67890123456789ABCDEF67890") in names


def test_names_become_lower_case_fqdn(cf, zone):
    zid = zone["id"]
    cases = {"WWW": "www.example.com", "@": "example.com", "Api.Example.COM.": "api.example.com",
             "deep.sub": "deep.sub.example.com", "foo.other.com": "foo.other.com.example.com",
             "*.Preview": "*.preview.example.com", "bücher": "xn--bcher-kva.example.com"}
    for given, stored in cases.items():
        rec = cf.dns.records.create(zone_id=zid, name=given, type="TXT", ttl=1, content=given)
        assert rec.name == stored
    for bad in ("foo.other.com.", "a..b", "bad name", "-" * 64, "x" * 250):
        with pytest.raises(cloudflare.BadRequestError) as err:
            cf.dns.records.create(zone_id=zid, name=bad, type="TXT", ttl=1, content="x")
        assert error_code(err) == 9000, bad


def test_srv_d2_d3_d4_d5(cf, zone, emulator):
    zid = zone["id"]
    srv = cf.dns.records.create(zone_id=zid, name="_sip._tcp.example.com", type="SRV", ttl=3600,
                                data={"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.com"})
    assert srv.content == "20 5060 sip.example.com"
    assert (srv.data.priority, srv.data.weight, srv.data.port, srv.data.target) == (10, 20, 5060, "sip.example.com")
    assert srv.to_dict()["priority"] == 10  # top-level priority kept for compatibility
    apex = cf.dns.records.create(zone_id=zid, name="_xmpp._tcp", type="SRV", ttl=1,
                                 data={"priority": 5, "weight": 0, "port": 5222, "target": "chat.example.com."})
    assert apex.name == "_xmpp._tcp.example.com" and apex.data.target == "chat.example.com"  # D3
    none = cf.dns.records.create(zone_id=zid, name="_pop3._tcp", type="SRV", ttl=1,
                                 data={"priority": 0, "weight": 0, "port": 0, "target": "."})
    assert none.content == "0 0 ." and none.data.target == "."  # D5
    for key, value in (("service", "_sip"), ("proto", "_tcp"), ("name", "example.com")):
        with pytest.raises(cloudflare.BadRequestError) as err:  # D4
            cf.dns.records.create(zone_id=zid, name="_sip._udp", type="SRV", ttl=1,
                                  data={"priority": 1, "weight": 1, "port": 1, "target": "x.example.com", key: value})
        assert error_code(err) == 1004 and "data.%s" % key in err.value.errors[0].message
    # the zone-file content form is accepted as well
    from_content = cf.dns.records.create(zone_id=zid, name="_h._tcp", type="SRV", ttl=1, content="1 2 3 h.example.com")
    assert from_content.data.priority == 1 and from_content.content == "2 3 h.example.com"
    assert len(all_records(emulator, zone)) == 4


def test_mx_priority_and_caa_flags_d8_d9(cf, zone):
    zid = zone["id"]
    mx = cf.dns.records.create(zone_id=zid, name="@", type="MX", ttl=1, content="Mail.Example.com.", priority=5)
    assert (mx.content, mx.priority) == ("mail.example.com", 5)
    mx = cf.dns.records.update(mx.id, zone_id=zid, name="@", type="MX", ttl=1, content="mail.example.com",
                               priority=10)
    assert mx.priority == 10
    null_mx = cf.dns.records.create(zone_id=zid, name="nomail", type="MX", ttl=1, content=".", priority=0)
    assert (null_mx.content, null_mx.priority) == (".", 0)
    with pytest.raises(cloudflare.BadRequestError):
        cf.dns.records.create(zone_id=zid, name="x", type="MX", ttl=1, content="mail.example.com")
    for flags in (0, 128):
        caa = cf.dns.records.create(zone_id=zid, name="@", type="CAA", ttl=1,
                                    data={"flags": flags, "tag": "issue", "value": "letsencrypt.org"})
        assert caa.content == '%d issue "letsencrypt.org"' % flags
    with pytest.raises(cloudflare.BadRequestError) as err:
        cf.dns.records.create(zone_id=zid, name="@", type="CAA", ttl=1,
                              data={"flags": 256, "tag": "issue", "value": "x"})
    assert error_code(err) == 1004


def test_loc_uri_https_content(cf, zone):
    zid = zone["id"]
    loc = cf.dns.records.create(zone_id=zid, name="loc", type="LOC", ttl=1, data=dict(SAMPLES[14][1]["data"]))
    assert loc.content == "37 46 46.000 N 122 23 35.000 W 0.00 100.00 0.00 0.00"
    uri = cf.dns.records.create(zone_id=zid, name="_ftp._tcp", type="URI", ttl=1, priority=10,
                                data={"weight": 5, "target": "https://example.com/"})
    assert uri.content == "10 5 https://example.com/" and uri.priority == 10 and uri.data.weight == 5
    https = cf.dns.records.create(zone_id=zid, name="web", type="HTTPS", ttl=1, content='1 . alpn="h2"')
    assert https.data.priority == 1 and https.data.target == "." and https.data.value == 'alpn="h2"'


# --- proxied and TTL -----------------------------------------------------------------------------------------


def test_proxied_only_on_address_records_d14(cf, zone, emulator):
    zid = zone["id"]
    emulator.clear_requests()
    for params in (dict(type="TXT", content="x"), dict(type="MX", content="mail.example.com", priority=1)):
        with pytest.raises(cloudflare.BadRequestError) as err:
            cf.dns.records.create(zone_id=zid, name="p", ttl=1, proxied=True, **params)
        assert error_code(err) == 9004
    assert all_records(emulator, zone) == []
    for rtype, content in (("A", "192.0.2.1"), ("AAAA", "2001:db8::1"), ("CNAME", "origin.example.net")):
        assert cf.dns.records.create(zone_id=zid, name=rtype.lower(), type=rtype, content=content, ttl=1,
                                     proxied=True).proxied is True


def test_proxied_record_has_automatic_ttl_d15_and_d1(cf, zone):
    zid = zone["id"]
    rec = cf.dns.records.create(zone_id=zid, name="sub", type="A", content="192.0.2.10", ttl=43200)
    assert (rec.ttl, rec.proxied) == (43200, False)
    rec = cf.dns.records.edit(rec.id, zone_id=zid, name="sub", type="A", ttl=43200, proxied=True)  # D1
    assert (rec.ttl, rec.proxied) == (1, True)  # D15: accepted, TTL forced to automatic
    again = cf.dns.records.update(rec.id, zone_id=zid, name="sub", type="A", content="192.0.2.10", ttl=43200,
                                  proxied=True)
    assert (again.ttl, again.proxied) == (1, True)
    for ttl in (0, 2, 30, 59, 86401, 1.5):
        with pytest.raises(cloudflare.BadRequestError) as err:
            cf.dns.records.create(zone_id=zid, name="t", type="A", content="192.0.2.1", ttl=ttl)
        assert error_code(err) == 9021, ttl


# --- validation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body,code", [
    ({"name": "a", "type": "A", "content": "192.0.2.300"}, 9005),
    ({"name": "a", "type": "A", "content": "2001:db8::1"}, 9005),
    ({"name": "a", "type": "AAAA", "content": "192.0.2.1"}, 9006),
    ({"name": "c", "type": "CNAME", "content": "c.example.com"}, 9039),
    ({"name": "c", "type": "CNAME", "content": "not a host"}, 1004),
    ({"name": "x", "type": "BOGUS", "content": "x"}, 1004),
    ({"name": "x", "type": "TLSA", "data": {"usage": 3, "selector": 1, "matching_type": 1, "certificate": "xyz"}},
     1004),
    ({"name": "x", "type": "TLSA", "data": {"usage": 300, "selector": 1, "matching_type": 1, "certificate": "ab"}},
     1004),
    ({"name": "x", "type": "SRV", "data": {"priority": 1, "weight": 1, "port": 70000, "target": "a.example.com"}},
     1004),
    ({"name": "x", "type": "SRV", "data": {"priority": 1, "weight": 1, "target": "a.example.com"}}, 1004),
    ({"name": "x", "type": "TXT", "content": "a" * 4100}, 9015),
    ({"name": "x", "type": "A", "content": "192.0.2.1", "proxied": "yes"}, 9003),
    ({"name": "x", "type": "TXT", "content": "x", "settings": {"flatten_cname": True}}, 1004),
    ({"name": "x", "type": "A", "content": "192.0.2.1", "tags": ["bad tag!"]}, 1004),
    ({"name": "@", "type": "NS", "content": "ada.ns.cloudflare.com"}, 1004),
])
def test_validation_errors_have_cloudflare_codes(emulator, zone, body, code):
    answer = raw(emulator, "POST", records_path(zone), dict(body, ttl=1))
    assert answer["success"] is False and answer["errors"][0]["code"] == code, answer
    assert all_records(emulator, zone) == []


def test_exclusivity_rules(emulator, zone):
    def post(name, rtype, content, **extra):
        body = dict(name=name, type=rtype, content=content, ttl=1, **extra)
        answer = raw(emulator, "POST", records_path(zone), body)
        return answer["result"] if answer["success"] else answer["errors"][0]["code"]

    assert isinstance(post("www", "A", "192.0.2.1"), dict)
    assert post("www", "A", "192.0.2.1") == 81058  # identical
    assert isinstance(post("www", "A", "192.0.2.2"), dict)  # same name and type, other content: fine
    assert post("www", "CNAME", "x.example.net") == 81053
    assert isinstance(post("alias", "CNAME", "x.example.net"), dict)
    assert post("alias", "A", "192.0.2.1") == 81053
    assert post("alias", "AAAA", "2001:db8::1") == 81053
    assert post("alias", "CNAME", "y.example.net") == 81053
    assert post("alias", "TXT", "v=spf1 -all") == 81054
    assert isinstance(post("mailhost", "TXT", "hello"), dict)
    assert post("mailhost", "CNAME", "x.example.net") == 81057
    # NS below the apex excludes other types, except its DS
    assert isinstance(post("dev", "NS", "ns1.dev.example.net"), dict)
    assert isinstance(post("dev", "NS", "ns2.dev.example.net"), dict)
    assert isinstance(post("dev", "DS", "2371 13 2 1948D332"), dict)
    assert post("dev", "A", "192.0.2.9") == 81056
    assert post("mailhost", "NS", "ns1.example.net") == 81056
    assert isinstance(post("host.dev", "A", "192.0.2.9"), dict)  # below the delegation: allowed (shadowed)
    # apex NS records are user records like any other, beside the apex A/MX/TXT
    assert isinstance(post("@", "A", "192.0.2.1"), dict)
    assert isinstance(post("@", "NS", "ns1.example.net"), dict)
    assert isinstance(post("@", "TXT", "v=spf1 -all"), dict)
    # combined content of one name and type is limited to 8192 characters
    chunk = "b" * 3000
    assert isinstance(post("big", "TXT", chunk + "1"), dict)
    assert isinstance(post("big", "TXT", chunk + "2"), dict)
    assert post("big", "TXT", chunk + "3") == 83011
    # an update is checked without the record itself
    rec = post("solo", "A", "192.0.2.50")
    answer = raw(emulator, "PUT", records_path(zone, "/" + rec["id"]),
                 {"name": "solo", "type": "CNAME", "content": "x.example.net", "ttl": 1})
    assert answer["success"] and answer["result"]["type"] == "CNAME" and answer["result"]["id"] == rec["id"]


def test_put_resets_and_patch_merges(emulator, zone):
    rec = raw(emulator, "POST", records_path(zone), {"name": "m", "type": "A", "content": "192.0.2.1", "ttl": 300,
                                                     "comment": "c", "tags": ["a:b"], "proxied": True})["result"]
    patched = raw(emulator, "PATCH", records_path(zone, "/" + rec["id"]), {"content": "192.0.2.2"})["result"]
    assert (patched["content"], patched["comment"], patched["tags"], patched["proxied"]) == \
        ("192.0.2.2", "c", ["a:b"], True)
    assert patched["tags_modified_on"] == rec["tags_modified_on"]
    put = raw(emulator, "PUT", records_path(zone, "/" + rec["id"]),
              {"name": "m", "type": "A", "content": "192.0.2.3", "ttl": 120})["result"]
    assert (put["comment"], put["tags"], put["proxied"], put["ttl"]) == (None, [], False, 120)
    assert "comment_modified_on" not in put and put["created_on"] == rec["created_on"]
    srv = raw(emulator, "POST", records_path(zone), {"name": "_s._tcp", "type": "SRV", "ttl": 1, "data": {
        "priority": 1, "weight": 2, "port": 3, "target": "t.example.com"}})["result"]
    srv = raw(emulator, "PATCH", records_path(zone, "/" + srv["id"]), {"priority": 7})["result"]
    assert srv["data"]["priority"] == 7 and srv["priority"] == 7 and srv["content"] == "2 3 t.example.com"
    missing = raw(emulator, "PATCH", records_path(zone, "/" + "0" * 32), {"content": "192.0.2.2"})
    assert missing["errors"][0]["code"] == 81044


# --- list: filters and paging ------------------------------------------------------------------------------


def _seed_listing(emulator, zone):
    bodies = [
        {"name": "www", "type": "A", "content": "192.0.2.1", "proxied": True, "comment": "Web front",
         "tags": ["team:web", "env:prod"]},
        {"name": "WWW", "type": "AAAA", "content": "2001:db8::1", "ttl": 300},
        {"name": "api", "type": "A", "content": "192.0.2.2", "ttl": 600, "tags": ["team:API"]},
        {"name": "mail", "type": "A", "content": "198.51.100.1", "ttl": 3600, "comment": "mail server"},
        {"name": "@", "type": "MX", "content": "mail.example.com", "priority": 10},
        {"name": "@", "type": "TXT", "content": "v=spf1 mx -all"},
        {"name": "docs", "type": "CNAME", "content": "www.example.com", "proxied": True},
    ]
    out = raw(emulator, "POST", records_path(zone, "/batch"), {"posts": bodies})
    assert out["success"], out


def _names(emulator, zone, query):
    answer = raw(emulator, "GET", records_path(zone, "?" + urllib.parse.quote(query, safe="=&")))
    assert answer["success"], answer
    return sorted((r["name"], r["type"]) for r in answer["result"])


def test_list_filters(emulator, zone):
    _seed_listing(emulator, zone)

    def n(q):
        return _names(emulator, zone, q)

    assert n("name=WWW.example.com") == [("www.example.com", "A"), ("www.example.com", "AAAA")]
    assert n("name.exact=www.example.com&type=AAAA") == [("www.example.com", "AAAA")]
    assert n("name.contains=AIL") == [("mail.example.com", "A")]
    assert n("name.startswith=ap") == [("api.example.com", "A")]
    assert len(n("name.endswith=example.com")) == 7
    assert n("name=example.com&type=MX") == [("example.com", "MX")]
    assert n("content=MAIL.example.com") == [("example.com", "MX")]
    assert n("content.startswith=192.0.2.") == [("api.example.com", "A"), ("www.example.com", "A")]
    assert n("content.contains=spf1") == [("example.com", "TXT")]
    assert n("proxied=true") == [("docs.example.com", "CNAME"), ("www.example.com", "A")]
    assert n("comment=web front") == [("www.example.com", "A")]
    assert n("comment.contains=server") == [("mail.example.com", "A")]
    assert n("comment.present=") == [("mail.example.com", "A"), ("www.example.com", "A")]
    assert len(n("comment.absent=")) == 5
    assert n("tag=team") == [("api.example.com", "A"), ("www.example.com", "A")]
    assert n("tag=team:api") == [("api.example.com", "A")]
    assert n("tag.exact=env:prod") == [("www.example.com", "A")]
    assert n("tag.absent=team&type=A") == [("mail.example.com", "A")]
    assert n("tag.startswith=team:w") == [("www.example.com", "A")]
    assert n("tag=team:web&tag=team:api&tag_match=any") == [("api.example.com", "A"), ("www.example.com", "A")]
    assert n("tag=team:web&tag=team:api") == []
    assert n("type=MX&proxied=true&match=any") == [("docs.example.com", "CNAME"), ("example.com", "MX"),
                                                   ("www.example.com", "A")]
    assert n("search=spf") == [("example.com", "TXT")]
    ordered = raw(emulator, "GET", records_path(zone, "?order=ttl&direction=desc&type=A"))["result"]
    assert [r["ttl"] for r in ordered] == [3600, 600, 1]
    assert raw(emulator, "GET", records_path(zone, "?order=bogus"))["success"] is False


def test_result_info_and_empty_page_past_the_end(emulator, zone):
    _seed_listing(emulator, zone)
    page = raw(emulator, "GET", records_path(zone, "?per_page=3&page=3"))
    assert page["result_info"] == {"page": 3, "per_page": 3, "count": 1, "total_count": 7, "total_pages": 3}
    past = raw(emulator, "GET", records_path(zone, "?per_page=3&page=4"))
    assert past["result"] == [] and past["result_info"]["count"] == 0 and past["result_info"]["total_count"] == 7
    default = raw(emulator, "GET", records_path(zone))
    assert default["result_info"]["per_page"] == 100
    assert raw(emulator, "GET", records_path(zone, "?per_page=5000001"))["success"] is False
    assert raw(emulator, "GET", records_path(zone, "?per_page=5000000"))["result_info"]["count"] == 7


def test_sdk_pager_reads_450_records_each_page_once_d16(emulator, zone):
    from cfemu.dns import seed_records
    seed_records(emulator.state, zone["id"], [{"name": "r%03d" % i, "type": "A", "content": "192.0.2.%d" % (i % 250),
                                               "ttl": 1} for i in range(450)])
    seen = []
    hook = cloudflare.DefaultHttpxClient(event_hooks={"request": [lambda request: seen.append(str(request.url))]})
    client = cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0,
                                   http_client=hook)
    try:
        records = list(client.dns.records.list(zone_id=zone["id"], per_page=100, type="A",
                                               name={"endswith": "example.com"}))
    finally:
        client.close()
    assert len(records) == 450 and len({r.id for r in records}) == 450
    queries = [urllib.parse.parse_qs(urllib.parse.urlsplit(u).query) for u in seen]
    assert [q.get("page", ["1"])[0] for q in queries] == ["1", "2", "3", "4", "5", "6"]  # 6 = the empty page
    assert all(q["type"] == ["A"] and q["name.endswith"] == ["example.com"] and q["per_page"] == ["100"]
               for q in queries)


# --- batch -----------------------------------------------------------------------------------------------------


def test_batch_runs_deletes_patches_puts_posts_in_order(cf, zone, emulator):
    zid = zone["id"]
    old_a = cf.dns.records.create(zone_id=zid, name="swap", type="A", content="192.0.2.1", ttl=1)
    keep = cf.dns.records.create(zone_id=zid, name="keep", type="A", content="192.0.2.2", ttl=1)
    full = cf.dns.records.create(zone_id=zid, name="full", type="TXT", content="old", ttl=1, comment="c")
    # the post of a CNAME at "swap" is only valid because the delete of the A runs first
    result = cf.dns.records.batch(zone_id=zid, deletes=[{"id": old_a.id}],
                                  patches=[{"id": keep.id, "ttl": 300}],
                                  puts=[{"id": full.id, "name": "full", "type": "TXT", "content": "new", "ttl": 60}],
                                  posts=[{"name": "swap", "type": "CNAME", "content": "keep.example.com", "ttl": 1}])
    assert [r.id for r in result.deletes] == [old_a.id]
    assert result.patches[0].ttl == 300 and result.patches[0].content == "192.0.2.2"
    assert result.puts[0].content == '"new"' and result.puts[0].comment is None
    assert result.posts[0].type == "CNAME" and result.posts[0].name == "swap.example.com"
    assert sorted((r["name"], r["type"]) for r in all_records(emulator, zone)) == [
        ("full.example.com", "TXT"), ("keep.example.com", "A"), ("swap.example.com", "CNAME")]


def test_batch_rolls_back_everything_and_names_the_failing_operation(emulator, zone):
    seeded = raw(emulator, "POST", records_path(zone), {"name": "x", "type": "A", "content": "192.0.2.1"})["result"]
    before = all_records(emulator, zone)
    body = {"deletes": [{"id": seeded["id"]}],
            "posts": [{"name": "n1", "type": "A", "content": "192.0.2.5", "ttl": 1},
                      {"name": "n1", "type": "CNAME", "content": "elsewhere.example.net", "ttl": 1}]}
    answer = raw(emulator, "POST", records_path(zone, "/batch"), body)
    assert answer["success"] is False
    err = answer["errors"][0]
    assert err["code"] == 81053 and err["source"] == {"pointer": "/posts/1"} and err["message"].startswith("posts[1]")
    assert all_records(emulator, zone) == before  # the delete and the first post were undone
    gone = raw(emulator, "POST", records_path(zone, "/batch"), {"patches": [{"id": "f" * 32, "ttl": 60}]})
    assert gone["errors"][0]["code"] == 81044 and gone["errors"][0]["source"]["pointer"] == "/patches/0"


def test_batch_over_the_plan_limit_is_rejected_whole(emulator, zone):
    posts = [{"name": "h%d" % i, "type": "A", "content": "192.0.2.1", "ttl": 1} for i in range(200)]
    extra = {"name": "one-more", "type": "A", "content": "192.0.2.1", "ttl": 1}
    over = raw(emulator, "POST", records_path(zone, "/batch"), {"posts": posts[:150], "patches": [],
                                                                "deletes": [{"id": "0" * 32}] * 51})
    assert over["success"] is False and over["errors"][0]["code"] == 81060  # 201 operations, counted together
    over = raw(emulator, "POST", records_path(zone, "/batch"), {"posts": posts + [extra]})
    assert over["success"] is False and over["errors"][0]["code"] == 81060
    assert all_records(emulator, zone) == []
    assert raw(emulator, "POST", records_path(zone, "/batch"), {"posts": posts})["success"] is True
    emulator.control("POST", "/dns/batch_limit", {"zone_id": zone["id"], "limit": 3500})
    more = [{"name": "m%d" % i, "type": "A", "content": "192.0.2.1", "ttl": 1} for i in range(201)]
    assert raw(emulator, "POST", records_path(zone, "/batch"), {"posts": more})["success"] is True
    assert len(all_records(emulator, zone)) == 401


# --- export / import -------------------------------------------------------------------------------------------


def _zone_file_facts():
    """Counted from the file itself, independently of the emulator's parser."""
    types, proxied, total = collections.Counter(), 0, 0
    with open(ZONE_FILE) as fh:
        for line in fh:
            code = line.split(";", 1)[0].split()
            if not code or code[0].startswith("$"):
                continue
            total += 1
            types[code[code.index("IN") + 1]] += 1
            proxied += "cf-proxied:true" in line
    return total, types, proxied


def _snapshot(records):
    return collections.Counter((r["name"], r["type"], r["content"], r.get("priority"), r["ttl"], r["proxied"])
                               for r in records)


def test_import_export_round_trip_of_the_example_zone(cf, emulator):
    total, types, proxied = _zone_file_facts()
    zone = emulator.add_zone("example.org")
    with open(ZONE_FILE) as fh:
        text = fh.read()
    result = cf.dns.records.import_(zone_id=zone["id"], file=text)
    records = all_records(emulator, zone)
    assert result.total_records_parsed == total
    assert result.recs_added == total - types["SOA"] == len(records)
    expected = +types
    del expected["SOA"]
    assert collections.Counter(r["type"] for r in records) == expected
    assert sum(r["proxied"] for r in records) == proxied
    assert all(r["ttl"] == 1 for r in records if r["proxied"])
    by_key = {(r["name"], r["type"]): r for r in records}
    assert by_key[("nextcloud.example.org", "AAAA")]["content"] == "2001:db8:4020:2b73:8000::2"
    assert by_key[("_pop3._tcp.example.org", "SRV")]["data"]["target"] == "."
    assert by_key[("www.example.org", "CNAME")]["content"] == "example.org"
    dkim = by_key[("default._domainkey.example.org", "TXT")]["content"]
    strings = json.loads("[%s]" % dkim.replace('" "', '", "'))  # the file splits it in two strings already
    assert len(strings) == 2 and all(len(x) <= 255 for x in strings) and "".join(strings).startswith("v=DKIM1;")

    exported = cf.dns.records.export(zone_id=zone["id"])
    assert exported.startswith(";;\n;; Domain:     example.org.\n;; Exported:   ")
    assert "\n;; SOA Record\nexample.org\t3600\tIN\tSOA\t" in exported
    assert exported.count("cf_tags=cf-proxied:true") == proxied
    assert "wordpress.example.org.\t1\tIN\tA\t192.0.2.12 ; cf_tags=cf-proxied:true" in exported
    assert "_sip._tcp.example.org.\t3600\tIN\tSRV\t10 20 5060 sip.example.org." in exported
    assert "\nexample.org.\t86400\tIN\tNS\tada.ns.cloudflare.com." in exported

    # round trip: empty the zone, import Cloudflare's own export, get the same records back
    ids = [r["id"] for r in records]
    for start in range(0, len(ids), 200):
        assert raw(emulator, "POST", records_path(zone, "/batch"),
                   {"deletes": [{"id": i} for i in ids[start:start + 200]]})["success"]
    assert all_records(emulator, zone) == []
    again = cf.dns.records.import_(zone_id=zone["id"], file=exported)
    assert again.recs_added == len(records)
    assert _snapshot(all_records(emulator, zone)) == _snapshot(records)
    # importing the same file once more adds nothing (identical records are skipped)
    assert cf.dns.records.import_(zone_id=zone["id"], file=text).recs_added == 0


def test_import_proxied_flag_comments_and_errors(cf, zone, emulator):
    text = ("$ORIGIN example.com.\n$TTL 300\n"
            "a IN A 192.0.2.1\n"
            "b 1 IN A 192.0.2.2 ; cf_tags=cf-proxied:false\n"
            "c IN CNAME a ; front door cf_tags=team:web,cf-proxied:true\n"
            "  IN TXT ( \"split\"\n  \"over lines\" )\n")
    with pytest.raises(cloudflare.BadRequestError):  # c has a CNAME: the TXT conflicts, nothing is added
        cf.dns.records.import_(zone_id=zone["id"], file=text)
    assert all_records(emulator, zone) == []
    text = text.replace("  IN TXT", "t IN TXT")
    result = cf.dns.records.import_(zone_id=zone["id"], file=text, proxied=True)
    assert (result.recs_added, result.total_records_parsed) == (4, 4)
    recs = {r["name"]: r for r in all_records(emulator, zone)}
    assert recs["a.example.com"]["proxied"] is True and recs["a.example.com"]["ttl"] == 1  # form default
    assert recs["b.example.com"]["proxied"] is False  # explicit mark wins
    c = recs["c.example.com"]
    assert (c["content"], c["proxied"], c["comment"], c["tags"]) == ("a.example.com", True, "front door",
                                                                     ["team:web"])
    assert recs["t.example.com"]["content"] == '"split" "over lines"' and recs["t.example.com"]["ttl"] == 300
    line = [x for x in cf.dns.records.export(zone_id=zone["id"]).splitlines() if x.startswith("c.example.com.")]
    assert line == ["c.example.com.\t1\tIN\tCNAME\ta.example.com. ; front door cf_tags=team:web,cf-proxied:true"]


# --- zone deletion and scale -----------------------------------------------------------------------------------


def test_zone_deletion_drops_its_records(emulator, zone):
    raw(emulator, "POST", records_path(zone), {"name": "x", "type": "A", "content": "192.0.2.1"})
    raw(emulator, "DELETE", "/zones/%s" % zone["id"])
    assert zone["id"] not in emulator.state.data.get("zone:dns", {})


def test_thousands_of_records_list_in_one_request(emulator, zone):
    """Scale sanity (the 10,000-record timings are measured outside the suite): one GET lists everything, and a
    batch into a big zone costs the same as into an empty one (name index, no scan per operation)."""
    from cfemu.dns import seed_records
    count = 3000
    seed_records(emulator.state, zone["id"], [{"name": "h%d" % i, "type": "A", "content": "10.0.%d.%d" % (
        i // 256, i % 256), "ttl": 1} for i in range(count)])
    started = time.perf_counter()
    answer = raw(emulator, "GET", records_path(zone, "?per_page=5000000"))
    elapsed = time.perf_counter() - started
    assert answer["result_info"]["count"] == count and len(answer["result"]) == count
    assert elapsed < 1.5, elapsed
    started = time.perf_counter()
    batch = [{"name": "h%d" % i, "type": "TXT", "content": "v%d" % i, "ttl": 1} for i in range(200)]
    assert raw(emulator, "POST", records_path(zone, "/batch"), {"posts": batch})["success"]
    assert time.perf_counter() - started < 1.0
