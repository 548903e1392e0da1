"""dns_records against the emulator: a real zone file from empty then unchanged, whole-set validation with zero
writes, duplicates and CNAME exclusivity, purge scoping and apex NS, chunk order, pairing, failed-chunk reports,
reconciling ambiguous batch failures, check/diff mode, request counts."""
from __future__ import annotations

import math
import os

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils import dns_sync
from ansible_collections.websoft9.cloudflare.plugins.module_utils.zonefile import parse_zone
from dns_support import BATCH, LIST, canonical, capture_requests, desired_meaning, meaning, stored

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZONE_FILE = os.path.join(ROOT, "..", "shared", "data", "zones", "example.org.zone")
ZONE = "example.org"


@pytest.fixture
def sent(monkeypatch):
    return capture_requests(monkeypatch)


@pytest.fixture
def zone(emulator, monkeypatch):
    monkeypatch.setattr(dns_sync, "RECONCILE_PAUSE", 0.001)
    return emulator.add_zone(ZONE)


def seed(emulator, zone, bodies):
    from cfemu import dns as emu_dns
    emu_dns.seed_records(emulator.state, zone["id"], bodies)
    emulator.clear_requests()


def run(run_module, records=None, **options):
    check = options.pop("_check", False)
    args = {"zone": ZONE, "records": records or []}
    args.update(options)
    return run_module("dns_records", args, check_mode=check)


def a_records(count, prefix="h"):
    return [{"name": "%s%04d" % (prefix, i), "type": "A", "content": "198.51.%d.%d" % (i // 250, i % 250 + 1),
             "ttl": 300} for i in range(count)]


@pytest.mark.skipif(not os.path.exists(ZONE_FILE), reason="needs ../shared/data/zones beside the repository")
def test_example_org_zone_file_from_empty_then_unchanged(emulator, zone, run_module):
    with open(ZONE_FILE) as handle:
        parsed, skipped = parse_zone(handle.read(), origin=ZONE)
    assert len(parsed) == 400 and [s["type"] for s in skipped] == ["SOA"]
    first = run_module("dns_records", {"zone": ZONE, "zone_file": ZONE_FILE})
    assert first["changed"] is True, first.get("msg")
    assert first["counts"] == {"created": 400, "updated": 0, "deleted": 0, "unchanged": 0}
    log = emulator.requests()
    assert log["by_route"] == {"GET /zones": 1, LIST: 1, BATCH: math.ceil(400 / 200)}
    assert log["total"] <= 3 + math.ceil(400 / 200)
    for rec in parsed:
        if rec["proxied"]:
            rec["ttl"] = None
    assert meaning(canonical(emulator, zone)) == desired_meaning(parsed, ZONE)
    emulator.clear_requests()
    again = run_module("dns_records", {"zone": ZONE, "zone_file": ZONE_FILE, "purge": True})
    assert again["changed"] is False
    assert again["counts"] == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 400}
    log = emulator.requests()
    assert log["total"] <= 3 and log["writes"] == 0
    assert again["skipped_records"][0]["type"] == "SOA"


def test_whole_set_validated_before_the_first_write(emulator, zone, run_module):
    records = a_records(300) + [
        {"name": "bad", "type": "A", "content": "not-an-ip"},
        {"name": "x", "type": "TXT", "content": "t", "proxied": True},
        {"name": "outside.example.net.", "type": "A", "content": "192.0.2.1"},
        {"name": "_s._tcp", "type": "SRV", "data": {"priority": 1, "weight": 1, "port": 99999, "target": "a.b"}},
        {"name": "@", "type": "CAA", "content": "0 issue"},
        {"name": "_25._tcp", "type": "TLSA", "content": "3 1 1 abc"},
        {"name": "t", "type": "A", "content": "192.0.2.1", "ttl": 10},
    ]
    result = run(run_module, records)
    assert result["failed"] is True
    assert result["msg"].startswith("7 invalid record(s), nothing was changed")
    for fragment in ("records[300] (bad A)", "content", "records[301] (x TXT)", "proxied", "records[302]",
                     "not inside zone", "records[303]", "data.port", "records[304]", "records[305]",
                     "records[306]", "ttl"):
        assert fragment in result["msg"], fragment
    assert len(result["invalid"]) == 7
    log = emulator.requests()
    assert log["writes"] == 0
    assert stored(emulator, zone["id"]) == []


def test_duplicates_in_the_desired_list(emulator, zone, run_module):
    result = run(run_module, [{"name": "www", "type": "A", "content": "192.0.2.1"},
                              {"name": "WWW.example.org.", "type": "a", "content": "192.0.2.1", "ttl": 300}])
    assert result["failed"] is True
    assert "records[1] (WWW.example.org. A): the same record as records[0] (www A)" in result["msg"]
    assert emulator.requests()["writes"] == 0


def test_cname_beside_other_records_in_the_list_or_in_the_zone(emulator, zone, run_module):
    result = run(run_module, [{"name": "www", "type": "A", "content": "192.0.2.1"},
                              {"name": "www", "type": "CNAME", "content": "example.net"}])
    assert result["failed"] is True and "records[1] (www CNAME)" in result["msg"] and "A 192.0.2.1" in result["msg"]
    seed(emulator, zone, [{"name": "app", "type": "MX", "content": "mail.example.org", "priority": 1, "ttl": 1}])
    result = run(run_module, [{"name": "app", "type": "CNAME", "content": "example.net"}])
    assert result["failed"] is True and "existing, not listed" in result["msg"]
    assert emulator.requests()["writes"] == 0


def test_a_replaced_by_cname_across_chunks_keeps_exclusivity(emulator, zone, run_module, sent):
    names = ["n%d" % i for i in range(5)]
    seed(emulator, zone, [{"name": n, "type": "A", "content": "192.0.2.%d" % (i + 1), "ttl": 1}
                          for i, n in enumerate(names)])
    records = [{"name": n, "type": "CNAME", "content": "target.example.net"} for n in names]
    result = run(run_module, records, purge=True, batch_size=3)
    assert result.get("failed") is not True, result.get("msg")
    assert result["counts"] == {"created": 5, "updated": 0, "deleted": 5, "unchanged": 0}
    bodies = [body for _m, path, _q, body in sent if path.endswith("/batch")]
    kinds = [k for b in bodies for k in ("deletes", "puts", "posts") for _op in b.get(k, [])]
    assert kinds == ["deletes"] * 5 + ["posts"] * 5          # all deletes before any post, across chunks
    assert [len(b.get("deletes", [])) + len(b.get("posts", [])) for b in bodies] == [3, 3, 3, 1]
    assert sorted((r["name"], r["type"]) for r in stored(emulator, zone["id"])) == [
        ("%s.example.org" % n, "CNAME") for n in names]
    emulator.clear_requests()
    assert run(run_module, records, purge=True, batch_size=3)["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_state_absent_entry_and_cname_in_one_task(emulator, zone, run_module):
    seed(emulator, zone, [{"name": "www", "type": "A", "content": "192.0.2.1", "ttl": 1},
                          {"name": "www", "type": "AAAA", "content": "2001:db8::1", "ttl": 1}])
    records = [{"name": "www", "type": "A", "state": "absent"}, {"name": "www", "type": "AAAA", "state": "absent"},
               {"name": "www", "type": "CNAME", "content": "example.net"}]
    result = run(run_module, records)
    assert result["counts"] == {"created": 1, "updated": 0, "deleted": 2, "unchanged": 0}
    assert emulator.requests()["by_route"][BATCH] == 1
    assert [r["type"] for r in stored(emulator, zone["id"])] == ["CNAME"]


def test_changed_value_is_one_put_not_delete_and_post(emulator, zone, run_module, sent):
    seed(emulator, zone, [{"name": "www", "type": "A", "content": "192.0.2.1", "ttl": 300, "comment": "old"}])
    old_id = stored(emulator, zone["id"])[0]["id"]
    emulator.clear_requests()
    result = run_module("dns_records", {"zone": ZONE, "purge": True,
                                        "records": [{"name": "www", "type": "A", "content": "192.0.2.2"}]},
                        diff=True)
    assert result["counts"] == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 0}
    (body,) = [b for _m, path, _q, b in sent if path.endswith("/batch")]
    assert list(body) == ["puts"] and body["puts"][0]["id"] == old_id
    assert body["puts"][0]["comment"] == ""  # a replacement is a new record: the old comment goes
    (rec,) = stored(emulator, zone["id"])
    assert rec["content"] == "192.0.2.2" and rec["ttl"] == 1 and not rec.get("comment")
    assert result["changes"] == [{"action": "update", "before": "www 300 IN A 192.0.2.1 ; comment='old'",
                                  "after": "www 1 IN A 192.0.2.2", "fields": ["content", "ttl", "comment"]}]
    assert result["diff"]["before"] == "www 300 IN A 192.0.2.1 ; comment='old'\n"
    assert result["diff"]["after"] == "www 1 IN A 192.0.2.2\n"


def test_purge_scoping_and_apex_ns(emulator, zone, run_module):
    seed(emulator, zone, [
        {"name": "@", "type": "NS", "content": "ns1.example.net", "ttl": 86400},
        {"name": "@", "type": "NS", "content": "ns2.example.net", "ttl": 86400},
        {"name": "a", "type": "A", "content": "192.0.2.1", "ttl": 1},
        {"name": "a", "type": "TXT", "content": "keep-type", "ttl": 1},
        {"name": "b", "type": "A", "content": "192.0.2.2", "ttl": 1},
        {"name": "c", "type": "TXT", "content": "other", "ttl": 1},
    ])
    keep = [{"name": "z", "type": "A", "content": "192.0.2.9"}]
    without = run(run_module, keep)
    assert without["counts"] == {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0}
    by_name = run(run_module, keep, purge=True, purge_names=["a", "zzz.example.org"], purge_types=["a"])
    assert by_name["counts"] == {"created": 0, "updated": 0, "deleted": 1, "unchanged": 1}
    by_type = run(run_module, keep, purge=True, purge_types=["TXT"], _check=True)
    assert by_type["counts"]["deleted"] == 2 and by_type["changed"] is True
    kept = run(run_module, keep, purge=True, purge_keep_names=["a", "c.example.org."], _check=True)
    assert kept["counts"]["deleted"] == 1  # only b
    everything = run(run_module, keep, purge=True)
    assert everything["counts"] == {"created": 0, "updated": 0, "deleted": 3, "unchanged": 1}
    left = sorted((r["name"], r["type"]) for r in stored(emulator, zone["id"]))
    assert left == [("example.org", "NS"), ("example.org", "NS"), ("z.example.org", "A")]
    emulator.clear_requests()
    asked = run(run_module, keep, purge=True, purge_apex_ns=True)
    assert asked["counts"]["deleted"] == 2
    assert [(r["name"], r["type"]) for r in stored(emulator, zone["id"])] == [("z.example.org", "A")]


def test_check_mode_and_diff(emulator, zone, run_module):
    seed(emulator, zone, [{"name": "a", "type": "A", "content": "192.0.2.1", "ttl": 300},
                          {"name": "gone", "type": "TXT", "content": "bye", "ttl": 1}])
    records = [{"name": "a", "type": "A", "content": "192.0.2.1", "proxied": True},
               {"name": "new", "type": "MX", "content": "mail.example.org", "priority": 10}]
    result = run_module("dns_records", {"zone": ZONE, "records": records, "purge": True}, check_mode=True,
                        diff=True)
    assert result["changed"] is True
    assert result["counts"] == {"created": 1, "updated": 1, "deleted": 1, "unchanged": 0}
    assert result["diff"]["before"] == 'a 300 IN A 192.0.2.1\ngone 1 IN TXT "bye"\n'
    assert result["diff"]["after"] == "a 1 IN A 192.0.2.1 ; proxied\nnew 1 IN MX 10 mail.example.org.\n"
    assert {c["action"] for c in result["changes"]} == {"create", "update", "delete"}
    log = emulator.requests()
    assert log["writes"] == 0 and log["total"] == 2
    assert len(stored(emulator, zone["id"])) == 2


def test_chunks_of_batch_size_and_unchanged_in_two_requests(emulator, zone, run_module):
    records = a_records(450)
    first = run(run_module, records)
    assert first["counts"]["created"] == 450 and first["batches"] == 3
    assert emulator.requests()["by_route"] == {"GET /zones": 1, LIST: 1, BATCH: 3}
    emulator.clear_requests()
    again = run(run_module, records)
    assert again["changed"] is False and emulator.requests()["total"] == 2


def test_d16_paged_listing_each_page_once(emulator, zone, run_module, sent, monkeypatch):
    records = a_records(450)
    seed(emulator, zone, [dict(r, name=r["name"]) for r in records])
    monkeypatch.setattr(dns_sync, "LIST_PER_PAGE", 100)
    result = run(run_module, records, purge=True)
    assert result["changed"] is False and result["counts"]["unchanged"] == 450
    pages = [q["page"] for m, path, q, _b in sent if m == "GET" and path.endswith("/dns_records")]
    assert pages == [1, 2, 3, 4, 5]
    assert emulator.requests()["by_route"] == {"GET /zones": 1, LIST: 5}


def test_batch_over_the_zone_limit_fails_cleanly(emulator, zone, run_module):
    emulator.control("POST", "/dns/batch_limit", {"zone_id": zone["id"], "limit": 100})
    result = run(run_module, a_records(150))
    assert result["failed"] is True
    assert "batch 1 failed" in result["msg"] and "81060" in result["msg"]
    assert result["applied"] == {"created": 0, "updated": 0, "deleted": 0}
    assert result["not_applied"] == {"created": 150, "updated": 0, "deleted": 0}
    assert stored(emulator, zone["id"]) == []
    ok = run(run_module, a_records(150), batch_size=100)
    assert ok["batches"] == 2 and len(stored(emulator, zone["id"])) == 150


def test_failed_chunk_reports_what_was_applied(emulator, zone, run_module):
    # Chunk 2 breaks the API's combined-length rule (8192 characters per name and type), which only the API checks.
    big = [{"name": "big", "type": "TXT", "content": "%02d" % i + "x" * 248} for i in range(40)]
    records = a_records(200) + big + a_records(10, prefix="tail")
    result = run(run_module, records)
    assert result["failed"] is True
    assert "batch 2 failed" in result["msg"] and "83011" in result["msg"]
    assert "Applied before the failure: 1 batch(es), 0 deleted, 0 updated, 200 created" in result["msg"]
    assert "Not applied: 0 deleted, 0 updated, 50 created" in result["msg"]
    assert result["applied"]["created"] == 200 and result["not_applied"]["created"] == 50
    assert result["changed"] is True and result["batches_done"] == 1
    assert len(result["failed_batch"]) == 50
    assert len(stored(emulator, zone["id"])) == 200


@pytest.mark.parametrize("kind", ["error_after", "drop_after", "error_before", "drop_before"])
def test_ambiguous_batch_failure_is_reconciled_never_duplicated(emulator, zone, run_module, kind):
    seed(emulator, zone, [{"name": "old", "type": "A", "content": "192.0.2.200", "ttl": 1}])
    records = a_records(250)
    emulator.faults([{"kind": kind, "path": "/dns_records/batch$", "times": 1}])
    result = run(run_module, records, purge=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["counts"] == {"created": 250, "updated": 0, "deleted": 1, "unchanged": 0}
    log = emulator.requests()
    # one extra listing after the ambiguous failure; the lost batch re-sent only when it had not been committed
    assert log["by_route"][LIST] == 2
    assert log["by_route"][BATCH] == (3 if kind.endswith("before") else 2)
    assert meaning(canonical(emulator, zone)) == desired_meaning(records, ZONE)
    emulator.clear_requests()
    assert run(run_module, records, purge=True)["changed"] is False


def test_rate_limited_batch_is_retried(emulator, zone, run_module):
    emulator.faults([{"kind": "rate_limit", "path": "/batch$", "times": 2, "retry_after": 0.01}])
    result = run(run_module, a_records(5))
    assert result["counts"]["created"] == 5
    assert emulator.requests()["by_route"][BATCH] == 3
    assert len(stored(emulator, zone["id"])) == 5


def test_zone_file_and_records_together(emulator, zone, run_module, tmp_path):
    path = tmp_path / "z.zone"
    path.write_text("$ORIGIN example.org.\n$TTL 300\n@ IN SOA ns. host. 1 2 3 4 5\nwww IN A 192.0.2.1\n"
                    "app 1 IN A 192.0.2.2 ; cf_tags=cf-proxied:true\nmail IN MX 10 mx.example.org.\n")
    records = [{"name": "www", "type": "A", "content": "192.0.2.1", "ttl": 600, "comment": "from records"},
               {"name": "extra", "type": "TXT", "content": "hi"}]
    result = run_module("dns_records", {"zone": ZONE, "zone_file": str(path), "records": records})
    assert result["counts"] == {"created": 4, "updated": 0, "deleted": 0, "unchanged": 0}, result.get("msg")
    recs = dict(((r["name"], r["type"]), r) for r in stored(emulator, zone["id"]))
    assert recs[("www.example.org", "A")]["ttl"] == 600 and recs[("www.example.org", "A")]["comment"] == "from records"
    assert recs[("app.example.org", "A")]["proxied"] is True and recs[("app.example.org", "A")]["ttl"] == 1
    assert recs[("mail.example.org", "MX")]["priority"] == 10
    emulator.clear_requests()
    assert run_module("dns_records", {"zone": ZONE, "zone_file": str(path), "records": records})["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_zone_file_errors(emulator, zone, run_module, tmp_path):
    other = tmp_path / "other.zone"
    other.write_text("$ORIGIN example.com.\nwww 300 IN A 192.0.2.1\n")
    result = run_module("dns_records", {"zone": ZONE, "zone_file": str(other)})
    assert result["failed"] is True and "not inside zone example.org" in result["msg"]
    broken = tmp_path / "broken.zone"
    broken.write_text("www 300 IN A 192.0.2.1\n")
    result = run_module("dns_records", {"zone": ZONE, "zone_file": str(broken), "records": []})
    assert result.get("failed") is not True or "line" in result["msg"]
    missing = run_module("dns_records", {"zone": ZONE, "zone_file": str(tmp_path / "nope.zone")})
    assert missing["failed"] is True and "zone_file" in missing["msg"]
    assert emulator.requests()["writes"] <= 1


def test_updates_attributes_in_place(emulator, zone, run_module, sent):
    seed(emulator, zone, [{"name": "@", "type": "MX", "content": "mail.example.org", "priority": 5, "ttl": 300},
                          {"name": "t", "type": "TXT", "content": "v", "ttl": 300, "tags": ["a:1"]}])
    ids = sorted(r["id"] for r in stored(emulator, zone["id"]))
    del sent[:]
    result = run(run_module, [{"name": "@", "type": "MX", "content": "mail.example.org", "priority": 10},
                              {"name": "t", "type": "TXT", "content": '"v"', "ttl": 600}])
    assert result["counts"] == {"created": 0, "updated": 2, "deleted": 0, "unchanged": 0}
    (body,) = [b for _m, path, _q, b in sent if path.endswith("/batch")]
    assert list(body) == ["puts"]
    after = dict((r["type"], r) for r in stored(emulator, zone["id"]))
    assert sorted(r["id"] for r in after.values()) == ids
    assert after["MX"]["priority"] == 10 and after["TXT"]["ttl"] == 600 and after["TXT"]["tags"] == ["a:1"]


def test_bad_options(emulator, zone, run_module):
    assert "batch_size" in run(run_module, [], batch_size=0)["msg"]
    bad = run(run_module, [], purge=True, purge_names=["x.example.net."])
    assert bad["failed"] is True and "purge_names" in bad["msg"]
    assert emulator.requests()["writes"] == 0


def test_big_records_list_is_not_echoed_back(emulator, zone, run_module):
    result = run(run_module, a_records(150))
    args = result["invocation"]["module_args"]
    assert args["records"] == "(150 records, not echoed)"
    assert args["api_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    small = run(run_module, a_records(3))
    assert isinstance(small["invocation"]["module_args"]["records"], list)


def test_priority_hidden_from_content_is_still_compared(emulator, zone, run_module):
    # SRV content does not show the priority: a record equal in content but not in data is an update.
    seed(emulator, zone, [{"name": "_sip._tcp", "type": "SRV", "ttl": 1,
                           "data": {"priority": 5, "weight": 20, "port": 5060, "target": "sip.example.org"}}])
    want = [{"name": "_sip._tcp", "type": "SRV", "content": "10 20 5060 sip.example.org."}]
    result = run(run_module, want)
    assert result["counts"] == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 0}
    assert stored(emulator, zone["id"])[0]["data"]["priority"] == 10
    assert run(run_module, want)["changed"] is False


def test_listing_pages_on_when_the_api_caps_per_page(emulator, zone, run_module, sent, monkeypatch):
    """D16 with an API that silently caps per_page (result_info.per_page says 100): every page read once."""
    from cfemu import dns as emu_dns
    original = emu_dns.paginate

    def capped(req, items, **kwargs):
        if int(req.arg("per_page", 100)) > 100:
            req.query["per_page"] = ["100"]
        return original(req, items, **kwargs)

    monkeypatch.setattr(emu_dns, "paginate", capped)
    records = a_records(450)
    seed(emulator, zone, records)
    result = run(run_module, records, purge=True)
    assert result["changed"] is False and result["counts"]["unchanged"] == 450
    pages = [q["page"] for m, path, q, _b in sent if m == "GET" and path.endswith("/dns_records")]
    assert pages == [1, 2, 3, 4, 5]


def test_ambiguous_failures_without_end_give_up_with_a_report(emulator, zone, run_module):
    emulator.faults([{"kind": "error_before", "path": "/batch$", "times": 50, "status": 503}])
    result = run(run_module, a_records(5))
    assert result["failed"] is True
    assert "re-read %d time(s)" % dns_sync.MAX_RECONCILE_STREAK in result["msg"]
    assert result["not_applied"] == {"created": 5, "updated": 0, "deleted": 0}
    log = emulator.requests()
    assert log["by_route"][BATCH] == dns_sync.MAX_RECONCILE_STREAK + 1      # never more than that, never blind
    assert log["by_route"][LIST] == dns_sync.MAX_RECONCILE_STREAK + 1
    assert stored(emulator, zone["id"]) == []
