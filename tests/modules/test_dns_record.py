"""dns_record against the emulator: every type in content and data form, cases D1-D16, solo, check/diff mode,
bad input (failed, field named, zero writes), request counts."""
from __future__ import annotations

import pytest

from dns_support import BATCH, LIST, canonical, capture_requests, stored

ZONE = "example.org"
SSHFP_HEX = "767efc2f91624a8940f1f836f99eee3692f09e2e8c662248b483b7ffc050fec9"
TLSA_HEX = "8baa7196b50ac2f86702824c1c099724caf4941d4072014b3ce107f80e222f82"
DS_HEX = "1948D33296C87009E8A7F770D9106FD287DB7F1ADBC60926F6967E7893F57FD1"
KEY_B64 = "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="

# type, name, content form, data form (None: a content-only type), extra options
TYPES = [
    ("A", "www", "192.0.2.1", None, {}),
    ("AAAA", "blog", "2001:DB8:4020:2B73:8000:0:0:0", None, {}),
    ("CNAME", "Alias", "Target.Example.NET.", None, {}),
    ("NS", "dev", "ns1.dev-dns.example.net.", None, {}),
    ("PTR", "10", "host.example.org.", None, {}),
    ("MX", "@", "MX1.example.org.", None, {"priority": 10}),
    ("TXT", "_dmarc", "v=DMARC1; p=none", None, {}),
    ("OPENPGPKEY", "hash._openpgpkey", KEY_B64, None, {}),
    ("SRV", "_sip._tcp", "10 20 5060 SIP.example.org.",
     {"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"}, {}),
    ("URI", "_http._tcp", '10 1 "https://www.example.org/path"',
     {"weight": 1, "target": "https://www.example.org/path"}, {"priority": 10}),
    ("CAA", "@", '128 ISSUE "letsencrypt.org"', {"flags": 128, "tag": "issue", "value": "letsencrypt.org"}, {}),
    ("HTTPS", "@", '1 . ipv6hint="2001:db8::1" ALPN="h3,h2"',
     {"priority": 1, "target": ".", "value": 'alpn="h3,h2" ipv6hint="2001:db8::1"'}, {}),
    ("SVCB", "_dns", "1 dns.example.org. alpn=dot port=853",
     {"priority": 1, "target": "dns.example.org", "value": 'alpn="dot" port="853"'}, {}),
    ("DS", "dev", "2371 13 2 " + DS_HEX.lower(),
     {"key_tag": 2371, "algorithm": 13, "digest_type": 2, "digest": DS_HEX}, {}),
    ("DNSKEY", "@", "257 3 13 " + KEY_B64, {"flags": 257, "protocol": 3, "algorithm": 13, "public_key": KEY_B64}, {}),
    ("CERT", "@", "PKIX 12345 8 " + KEY_B64, {"type": 1, "key_tag": 12345, "algorithm": 8, "certificate": KEY_B64},
     {}),
    ("SSHFP", "bastion", "4 2 " + SSHFP_HEX, {"algorithm": 4, "type": 2, "fingerprint": SSHFP_HEX.upper()}, {}),
    ("TLSA", "_25._tcp.mail", "3 1 1 " + TLSA_HEX,
     {"usage": 3, "selector": 1, "matching_type": 1, "certificate": TLSA_HEX}, {}),
    ("SMIMEA", "abcd._smimecert", "3 0 1 " + TLSA_HEX,
     {"usage": 3, "selector": 0, "matching_type": 1, "certificate": TLSA_HEX.upper()}, {}),
    ("NAPTR", "@", '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.org!" .',
     {"order": 100, "preference": 10, "flags": "U", "service": "E2U+sip",
      "regex": "!^.*$!sip:info@example.org!", "replacement": "."}, {}),
    ("LOC", "office", "51 30 12.748 N 0 7 39.611 W 0.00m 1m 10000m 10m",
     {"lat_degrees": 51, "lat_minutes": 30, "lat_seconds": 12.748, "lat_direction": "N", "long_degrees": 0,
      "long_minutes": 7, "long_seconds": 39.611, "long_direction": "W", "altitude": 0, "size": 1,
      "precision_horz": 10000, "precision_vert": 10}, {}),
]


@pytest.fixture
def sent(monkeypatch):
    return capture_requests(monkeypatch)


FORMS = [(t[0], "content") for t in TYPES] + [(t[0], "data") for t in TYPES if t[3] is not None]


@pytest.fixture
def zone(emulator):
    return emulator.add_zone(ZONE)


def task(rtype, form, **extra):
    case = next(t for t in TYPES if t[0] == rtype)
    args = {"zone": ZONE, "name": case[1], "type": rtype.lower() if form == "content" else rtype}
    args.update(case[4])
    args[form] = case[2] if form == "content" else case[3]
    args.update(extra)
    return args


def other(form):
    return "data" if form == "content" else "content"


@pytest.mark.parametrize("rtype, form", FORMS, ids=["%s-%s" % f for f in FORMS])
def test_every_type_created_once_then_unchanged_in_either_form(emulator, zone, run_module, rtype, form):
    created = run_module("dns_record", task(rtype, form))
    assert created.get("failed") is not True, created.get("msg")
    assert created["changed"] is True
    assert created["counts"] == {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0}
    log = emulator.requests()
    assert log["by_route"] == {"GET /zones": 1, LIST: 1, BATCH: 1}
    assert created["record"]["id"] and created["record"]["type"] == rtype
    for again_form in (form, other(form)):
        if again_form == "data" and next(t for t in TYPES if t[0] == rtype)[3] is None:
            continue
        emulator.clear_requests()
        again = run_module("dns_record", task(rtype, again_form))
        assert again["changed"] is False, (again_form, again)
        log = emulator.requests()
        assert log["writes"] == 0 and log["total"] == 2
        assert again["record"]["id"] == created["record"]["id"]
    assert len(stored(emulator, zone["id"])) == 1
    emulator.clear_requests()
    gone = run_module("dns_record", task(rtype, other(form) if next(t for t in TYPES if t[0] == rtype)[3] else form,
                                         state="absent"))
    assert gone["changed"] is True and gone["counts"]["deleted"] == 1
    assert emulator.requests()["by_route"].get(BATCH) == 1
    assert stored(emulator, zone["id"]) == []


def test_d1_dns_only_record_becomes_proxied(emulator, zone, run_module):
    run_module("dns_record", {"zone": ZONE, "name": "sub", "type": "A", "content": "192.0.2.10", "ttl": 300})
    emulator.clear_requests()
    result = run_module("dns_record", {"zone": ZONE, "name": "sub", "type": "A", "content": "192.0.2.10",
                                       "proxied": True}, diff=True)
    assert result["changed"] is True
    assert result["counts"]["updated"] == 1
    assert sorted(result["changed_fields"]) == ["proxied", "ttl"]
    assert result["record"]["proxied"] is True and result["record"]["ttl"] == 1
    assert result["diff"]["before"] == "sub 300 IN A 192.0.2.10\n"
    assert result["diff"]["after"] == "sub 1 IN A 192.0.2.10 ; proxied\n"
    assert emulator.requests()["by_route"][BATCH] == 1
    (rec,) = stored(emulator, zone["id"])
    assert rec["proxied"] is True
    emulator.clear_requests()
    again = run_module("dns_record", {"zone": ZONE, "name": "sub", "type": "A", "content": "192.0.2.10",
                                      "proxied": True})
    assert again["changed"] is False and emulator.requests()["writes"] == 0


def test_d2_d4_srv_wire_body_is_fqdn_name_and_data_only(emulator, zone, run_module, sent):
    args = {"zone": ZONE, "name": "_sip._tcp", "type": "SRV",
            "data": {"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"}}
    assert run_module("dns_record", args)["changed"] is True
    (batch,) = [body for method, path, _q, body in sent if path.endswith("/batch")]
    (post,) = batch["posts"]
    assert post["name"] == "_sip._tcp.example.org"
    assert post["data"] == {"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.org"}
    assert "content" not in post
    emulator.clear_requests()
    assert run_module("dns_record", args)["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_d3_srv_at_apex_legacy_service_proto(emulator, zone, run_module, sent):
    args = {"zone": ZONE, "name": "@", "type": "SRV",
            "data": {"service": "_xmpp", "proto": "_tcp", "priority": 5, "weight": 0, "port": 5222,
                     "target": "chat.example.org"}}
    result = run_module("dns_record", args)
    assert result["changed"] is True, result.get("msg")
    assert result["record"]["name"] == "_xmpp._tcp.example.org"
    (batch,) = [body for _m, path, _q, body in sent if path.endswith("/batch")]
    assert batch["posts"][0]["name"] == "_xmpp._tcp.example.org"
    assert sorted(batch["posts"][0]["data"]) == ["port", "priority", "target", "weight"]
    emulator.clear_requests()
    assert run_module("dns_record", args)["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_d5_srv_no_service_target_dot(emulator, zone, run_module):
    args = {"zone": ZONE, "name": "_pop3._tcp", "type": "SRV", "content": "0 0 0 ."}
    result = run_module("dns_record", args)
    assert result["changed"] is True
    assert result["record"]["data"]["target"] == "."
    assert stored(emulator, zone["id"])[0]["data"]["target"] == "."
    emulator.clear_requests()
    assert run_module("dns_record", args)["changed"] is False
    assert emulator.requests()["writes"] == 0


@pytest.mark.parametrize("rtype, name, content", [
    ("SSHFP", "host", "1 2 " + SSHFP_HEX),                    # D6
    ("TLSA", "_25._tcp.mail", "3 1 1 " + TLSA_HEX),           # D7
    ("CAA", "@", '128 issue "letsencrypt.org"'),              # D8
    ("AAAA", "blog", "2001:db8:4020:2b73:8000:0:0:0"),        # D11
], ids=["D6", "D7", "D8", "D11"])
def test_rewritten_by_the_api_and_still_unchanged(emulator, zone, run_module, rtype, name, content):
    args = {"zone": ZONE, "name": name, "type": rtype, "content": content}
    result = run_module("dns_record", args)
    assert result["changed"] is True, result.get("msg")
    (rec,) = stored(emulator, zone["id"])
    if rtype in ("SSHFP", "TLSA"):
        assert rec["content"].split()[-1] == content.split()[-1].upper()
    if rtype == "AAAA":
        assert rec["content"] == "2001:db8:4020:2b73:8000::"
    if rtype == "CAA":
        assert rec["data"]["flags"] == 128
    emulator.clear_requests()
    again = run_module("dns_record", args)
    assert again["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_d9_mx_priority_is_an_attribute(emulator, zone, run_module):
    args = {"zone": ZONE, "name": "@", "type": "MX", "content": "mail.example.org", "priority": 5}
    assert run_module("dns_record", args)["record"]["priority"] == 5
    assert stored(emulator, zone["id"])[0]["priority"] == 5
    emulator.clear_requests()
    changed = run_module("dns_record", dict(args, priority=10))
    assert changed["changed"] is True
    assert changed["counts"] == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 0}
    assert changed["changed_fields"] == ["priority"]
    (rec,) = stored(emulator, zone["id"])
    assert rec["priority"] == 10
    emulator.clear_requests()
    assert run_module("dns_record", dict(args, content="10 mail.example.org.", priority=None))["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_d10_records_without_zone_id_or_zone_name(emulator, zone, run_module):
    run_module("dns_record", {"zone": ZONE, "name": "x", "type": "A", "content": "192.0.2.7"})
    listed = stored(emulator, zone["id"])  # the emulator answers like the API now: no zone_id / zone_name
    assert all("zone_id" not in r and "zone_name" not in r for r in listed)
    emulator.clear_requests()
    again = run_module("dns_record", {"zone": zone["id"], "name": "x", "type": "A", "content": "192.0.2.7"})
    assert again["changed"] is False and again["record"]["name"] == "x.example.org"
    assert emulator.requests()["writes"] == 0


def test_d12_txt_quoted_and_unquoted_are_one_record(emulator, zone, run_module):
    quoted = {"zone": ZONE, "name": "t1", "type": "TXT", "content": '"thing"'}
    assert run_module("dns_record", quoted)["changed"] is True
    (rec,) = stored(emulator, zone["id"])
    assert rec["content"] == '"thing"'
    emulator.clear_requests()
    for args in (quoted, dict(quoted, content="thing")):
        assert run_module("dns_record", args)["changed"] is False
    assert emulator.requests()["writes"] == 0
    assert len(stored(emulator, zone["id"])) == 1


def test_d13_long_txt_split_and_joined(emulator, zone, run_module):
    value = "v=DKIM1; k=rsa; p=" + ("A1b2C3d4" * 40)[:302]
    assert len(value) == 320
    args = {"zone": ZONE, "name": "google._domainkey", "type": "TXT", "content": value}
    assert run_module("dns_record", args)["changed"] is True
    (rec,) = stored(emulator, zone["id"])
    parts = rec["content"].split('" "')
    assert len(parts) == 2 and "".join(parts).strip('"') == value
    emulator.clear_requests()
    assert run_module("dns_record", args)["changed"] is False
    assert emulator.requests()["writes"] == 0


def _fails_without_writes(emulator, zone, result, field):
    assert result["failed"] is True
    assert field in result["msg"], result["msg"]
    assert emulator.requests()["writes"] == 0
    assert stored(emulator, zone["id"]) == []


@pytest.mark.parametrize("args, field", [
    ({"type": "TXT", "content": "hello", "proxied": True}, "proxied"),                   # D14
    ({"type": "MX", "content": "mail.example.org", "priority": 1, "proxied": True}, "proxied"),   # D14
    ({"type": "A", "content": "192.0.2.1", "proxied": True, "ttl": 43200}, "ttl"),      # D15
    ({"type": "A", "content": "192.0.2.300"}, "content"),
    ({"type": "A", "content": "192.0.2.1", "ttl": 5}, "ttl"),
    ({"type": "A", "content": "192.0.2.1", "ttl": 90000}, "ttl"),
    ({"name": "www.example.com.", "type": "A", "content": "192.0.2.1"}, "name"),
    ({"type": "CAA", "content": '0 nonsense "x"'}, "tag"),
    ({"type": "SRV", "data": {"priority": 1, "weight": 1, "port": 70000, "target": "x.example.org"}}, "data.port"),
    ({"type": "TLSA", "content": "3 1 1 zz"}, "certificate"),
    ({"type": "BOGUS", "content": "x"}, "type"),
], ids=["D14-TXT", "D14-MX", "D15", "bad-ipv4", "ttl-low", "ttl-high", "outside-zone", "caa", "srv-port", "tlsa",
        "type"])
def test_bad_input_fails_naming_the_field_with_zero_writes(emulator, zone, run_module, args, field):
    full = {"zone": ZONE, "name": "bad"}
    full.update(args)
    _fails_without_writes(emulator, zone, run_module("dns_record", full), field)


def test_cname_beside_other_records_fails_before_writing(emulator, zone, run_module):
    run_module("dns_record", {"zone": ZONE, "name": "app", "type": "TXT", "content": "keep"})
    emulator.clear_requests()
    result = run_module("dns_record", {"zone": ZONE, "name": "app", "type": "CNAME", "content": "x.example.net"})
    assert result["failed"] is True
    assert "CNAME" in result["msg"] and "TXT" in result["msg"] and "app.example.org" in result["msg"]
    assert emulator.requests()["writes"] == 0


def test_solo_replaces_only_same_name_and_type(emulator, zone, run_module, sent):
    for content in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        run_module("dns_record", {"zone": ZONE, "name": "app", "type": "A", "content": content})
    run_module("dns_record", {"zone": ZONE, "name": "app", "type": "AAAA", "content": "2001:db8::1"})
    run_module("dns_record", {"zone": ZONE, "name": "other", "type": "A", "content": "192.0.2.1"})
    emulator.clear_requests()
    del sent[:]
    args = {"zone": ZONE, "name": "app", "type": "A", "content": "192.0.2.9", "solo": True}
    check = run_module("dns_record", args, check_mode=True, diff=True)
    assert check["changed"] is True and emulator.requests()["writes"] == 0
    assert check["counts"] == {"created": 0, "updated": 1, "deleted": 2, "unchanged": 0}
    result = run_module("dns_record", args)
    assert result["counts"] == check["counts"]
    (batch,) = [body for _m, path, _q, body in sent if path.endswith("/batch")]
    assert len(batch["deletes"]) == 2 and len(batch["puts"]) == 1 and "posts" not in batch
    left = sorted((r["name"], r["type"], r["content"]) for r in stored(emulator, zone["id"]))
    assert left == [("app.example.org", "A", "192.0.2.9"), ("app.example.org", "AAAA", "2001:db8::1"),
                    ("other.example.org", "A", "192.0.2.1")]
    emulator.clear_requests()
    assert run_module("dns_record", args)["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_solo_keeps_the_matching_record(emulator, zone, run_module):
    for content in ("192.0.2.1", "192.0.2.2"):
        run_module("dns_record", {"zone": ZONE, "name": "app", "type": "A", "content": content})
    keep_id = [r["id"] for r in stored(emulator, zone["id"]) if r["content"] == "192.0.2.2"][0]
    result = run_module("dns_record", {"zone": ZONE, "name": "app", "type": "A", "content": "192.0.2.2",
                                       "solo": True})
    assert result["counts"] == {"created": 0, "updated": 0, "deleted": 1, "unchanged": 1}
    assert [r["id"] for r in stored(emulator, zone["id"])] == [keep_id]


def test_check_mode_and_diff_of_a_new_record(emulator, zone, run_module):
    result = run_module("dns_record", {"zone": ZONE, "name": "new", "type": "CNAME", "content": "x.example.net",
                                       "proxied": True, "comment": "hi", "tags": ["Team:web"]},
                        check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": "", "after": "new 1 IN CNAME x.example.net. ; proxied, comment='hi', "
                                                     "tags=team:web\n",
                              "before_header": "example.org (records that change)", "after_header": "example.org"}
    assert result["record"]["tags"] == ["team:web"]
    assert emulator.requests()["writes"] == 0
    assert stored(emulator, zone["id"]) == []


def test_comment_tags_settings_managed_only_when_given(emulator, zone, run_module):
    base = {"zone": ZONE, "name": "c", "type": "CNAME", "content": "x.example.net"}
    run_module("dns_record", dict(base, comment="first", tags=["a:1"], settings={"flatten_cname": True}))
    emulator.clear_requests()
    assert run_module("dns_record", base)["changed"] is False          # not given: kept
    result = run_module("dns_record", dict(base, comment="", tags=[]))
    assert result["changed"] is True and sorted(result["changed_fields"]) == ["comment", "tags"]
    (rec,) = stored(emulator, zone["id"])
    assert not rec.get("comment") and not rec.get("tags") and rec["settings"]["flatten_cname"] is True
    emulator.clear_requests()
    assert run_module("dns_record", dict(base, comment="", tags=[], settings={"flatten_cname": True}))[
        "changed"] is False
    assert emulator.requests()["writes"] == 0


def test_absent_without_content_deletes_name_and_type(emulator, zone, run_module):
    for content in ("a", "b"):
        run_module("dns_record", {"zone": ZONE, "name": "_acme-challenge", "type": "TXT", "content": content})
    run_module("dns_record", {"zone": ZONE, "name": "_acme-challenge", "type": "A", "content": "192.0.2.1"})
    result = run_module("dns_record", {"zone": ZONE, "name": "_acme-challenge", "type": "TXT", "state": "absent"})
    assert result["counts"]["deleted"] == 2
    assert [r["type"] for r in stored(emulator, zone["id"])] == ["A"]
    emulator.clear_requests()
    again = run_module("dns_record", {"zone": ZONE, "name": "_acme-challenge", "type": "TXT", "state": "absent"})
    assert again["changed"] is False and emulator.requests()["writes"] == 0


def test_d16_paged_listing_reads_each_page_once_with_the_same_filter(emulator, zone, run_module, sent, monkeypatch):
    from cfemu import dns as emu_dns
    from ansible_collections.websoft9.cloudflare.plugins.module_utils import dns_sync

    emu_dns.seed_records(emulator.state, zone["id"], [
        {"name": "many", "type": "TXT", "content": "value %03d" % i, "ttl": 1} for i in range(450)])
    monkeypatch.setattr(dns_sync, "LIST_PER_PAGE", 100)
    emulator.clear_requests()
    result = run_module("dns_record", {"zone": ZONE, "name": "many", "type": "TXT", "content": "value 449"})
    assert result["changed"] is False
    lists = [q for m, path, q, _b in sent if m == "GET" and path.endswith("/dns_records")]
    assert [q["page"] for q in lists] == [1, 2, 3, 4, 5]
    assert all(q["name.exact"] == "many.example.org" and q["per_page"] == 100 for q in lists)
    assert emulator.requests()["by_route"][LIST] == 5


def test_zone_by_id_and_unknown_zone(emulator, zone, run_module):
    ok = run_module("dns_record", {"zone": zone["id"], "name": "i", "type": "A", "content": "192.0.2.1"})
    assert ok["changed"] is True
    missing = run_module("dns_record", {"zone": "nope.example", "name": "i", "type": "A", "content": "192.0.2.1"})
    assert missing["failed"] is True and "nope.example" in missing["msg"]
    assert canonical(emulator, zone)[0]["name"] == "i.example.org"


def test_lost_answer_after_commit_is_reconciled(emulator, zone, run_module, monkeypatch):
    from ansible_collections.websoft9.cloudflare.plugins.module_utils import dns_sync
    monkeypatch.setattr(dns_sync, "RECONCILE_PAUSE", 0.001)
    emulator.faults([{"kind": "drop_after", "path": "/batch$", "times": 1}])
    result = run_module("dns_record", {"zone": ZONE, "name": "r", "type": "A", "content": "192.0.2.5"})
    assert result["changed"] is True and result["counts"]["created"] == 1
    log = emulator.requests()
    assert log["by_route"][BATCH] == 1 and log["by_route"][LIST] == 2
    (rec,) = stored(emulator, zone["id"])
    assert result["record"]["id"] == rec["id"]


def test_wildcard_and_unicode_names(emulator, zone, run_module):
    wild = {"zone": ZONE, "name": "*.preview", "type": "CNAME", "content": "lb.example.org"}
    assert run_module("dns_record", wild)["record"]["name"] == "*.preview.example.org"
    idn = {"zone": ZONE, "name": "münchen", "type": "A", "content": "192.0.2.1"}
    assert run_module("dns_record", idn)["record"]["name"] == "xn--mnchen-3ya.example.org"
    emulator.clear_requests()
    assert run_module("dns_record", wild)["changed"] is False
    assert run_module("dns_record", dict(idn, name="xn--mnchen-3ya"))["changed"] is False
    assert emulator.requests()["writes"] == 0
    found = run_module("dns_record_info", {"zone": ZONE, "name": "*.preview"})["records"]
    assert [r["type"] for r in found] == ["CNAME"]
