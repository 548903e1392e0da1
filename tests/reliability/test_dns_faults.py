"""DNS converges under injected faults: 429s, 5xx before and after commit, connections dropped before and after
the server acted, on 20% of all requests (reads and writes), with fixed seeds and several runs.

Every converge must end exactly at the desired state: compared by meaning with the emulator's records, no record
lost, none duplicated, and a fault-free re-run changes nothing.  Run with `make test-reliability`.
"""
from __future__ import annotations

import random
import time

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils import dns_sync
from dns_support import BATCH, canonical, desired_meaning, meaning

ZONE = "example.org"
SEEDS = [11, 23, 37, 41, 59, 73, 89, 97, 103, 131]
FAULT_RATE = 0.20
KIND_TOTALS = {}  # (request kind, fault kind) -> count over the session, printed at the end
KINDS = ["rate_limit", "error_before", "error_after", "drop_before", "drop_after"]


def fault_rules(seed, rate=FAULT_RATE):
    """One rule per kind; together they hit `rate` of the requests (at most one failure per request)."""
    each = 1 - (1 - rate) ** (1.0 / len(KINDS))
    rules = []
    for index, kind in enumerate(KINDS):
        rule = {"kind": kind, "path": "^/client/v4/", "probability": each, "seed": seed * 100 + index}
        if kind == "rate_limit":
            rule["retry_after"] = 0.01
        if kind in ("error_before", "error_after"):
            rule["status"] = 500 if kind == "error_after" else 502
        rules.append(rule)
    return rules


def desired_set(rng, count):
    """A mixed zone: addresses, aliases, mail, text, services, CAA."""
    records = []
    for i in range(count):
        pick = i % 8
        host = "h%04d" % i
        if pick in (0, 1):
            records.append({"name": host, "type": "A", "content": "198.51.%d.%d" % (i // 200, i % 200 + 1),
                            "ttl": rng.choice([300, 3600]), "proxied": False})
        elif pick == 2:
            records.append({"name": host, "type": "AAAA", "content": "2001:db8::%x" % (i + 1), "ttl": 300})
        elif pick == 3:
            records.append({"name": host, "type": "CNAME", "content": "target%d.example.net" % (i % 7),
                            "proxied": rng.random() < 0.5})
        elif pick == 4:
            records.append({"name": host, "type": "TXT", "content": "token-%d-%d" % (i, rng.randint(0, 9999))})
        elif pick == 5:
            records.append({"name": host, "type": "MX", "content": "mx%d.example.org" % (i % 3),
                            "priority": 10 + i % 5})
        elif pick == 6:
            records.append({"name": "_svc%d._tcp" % i, "type": "SRV",
                            "data": {"priority": 10, "weight": 5, "port": 1000 + i, "target": "srv.example.org"}})
        else:
            records.append({"name": host, "type": "CAA", "content": '0 issue "ca%d.example.net"' % (i % 4)})
    return records


def mutate(rng, records, tag, share=0.10):
    """Change about `share` of the records (new value, new TTL, or dropped) and add a few."""
    out = []
    for rec in records:
        roll = rng.random()
        if roll < share / 3:
            continue                                   # dropped: purge deletes it
        rec = dict(rec)
        if roll < 2 * share / 3 and rec["type"] in ("A", "TXT"):
            rec["content"] = "203.0.113.%d" % rng.randint(1, 254) if rec["type"] == "A" else "changed-%d" % rng.random()
        elif roll < share and rec["type"] not in ("CNAME",):
            rec["ttl"] = 600
        out.append(rec)
    out.extend({"name": "new%s-%03d" % (tag, i), "type": "A", "content": "192.0.2.%d" % (i + 1)} for i in range(10))
    return out


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(dns_sync, "RECONCILE_PAUSE", 0.001)


def converge(emulator, run_module, zone, records, seed, batch_size=16):
    emulator.clear_requests()
    emulator.faults(fault_rules(seed))
    result = run_module("dns_records", {"zone": ZONE, "records": records, "purge": True, "batch_size": batch_size})
    log = emulator.requests()
    emulator.faults([])
    assert result.get("failed") is not True, result.get("msg")
    faults = sum(1 for entry in log["requests"] if entry["fault"])
    for entry in log["requests"]:
        if entry["fault"]:
            key = ("batch " if entry["path"].endswith("/batch") else "read ") + entry["fault"]
            KIND_TOTALS[key] = KIND_TOTALS.get(key, 0) + 1
    assert meaning(canonical(emulator, zone)) == desired_meaning(records, ZONE), "state differs from desired"
    assert len(canonical(emulator, zone)) == len(records), "records lost or duplicated"
    return result, log, faults


@pytest.mark.parametrize("seed", SEEDS)
def test_dns_records_converge_under_faults(emulator, run_module, fast, seed):
    rng = random.Random(seed)
    zone = emulator.add_zone(ZONE)
    # Some records already there: some desired as they are, some to change, some to purge.
    from cfemu import dns as emu_dns
    first = desired_set(rng, 320)
    emu_dns.seed_records(emulator.state, zone["id"],
                         [dict(r, ttl=r.get("ttl") or 1) for r in first[:60] if r["type"] in ("A", "AAAA", "TXT")]
                         + [{"name": "stale%d" % i, "type": "TXT", "content": "old", "ttl": 1} for i in range(20)])
    emulator.clear_requests()
    started = time.time()
    result, log, faults = converge(emulator, run_module, zone, first, seed)
    assert result["changed"] is True
    total, injected, batch_requests = log["total"], faults, log["by_route"].get(BATCH, 0)
    current = first
    for step in (1, 2, 3, 4):
        current = mutate(rng, current, step)
        result, log, faults = converge(emulator, run_module, zone, current, seed + step)
        assert result["changed"] is True
        total, injected, batch_requests = total + log["total"], injected + faults, batch_requests + log[
            "by_route"].get(BATCH, 0)
    # Fault-free re-run: nothing left to do.
    emulator.clear_requests()
    again = run_module("dns_records", {"zone": ZONE, "records": current, "purge": True, "batch_size": 16})
    assert again["changed"] is False and emulator.requests()["writes"] == 0
    print("\nreliability seed %d: 5 converges, %d requests, %d faults injected (%.0f%%), %d batch requests, %.2f s"
          % (seed, total, injected, 100.0 * injected / total, batch_requests, time.time() - started))
    assert injected > 0


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_dns_record_one_by_one_under_faults(emulator, run_module, fast, seed):
    zone = emulator.add_zone(ZONE)
    emulator.faults(fault_rules(seed))
    wanted = [{"name": "w%02d" % i, "type": "A", "content": "192.0.2.%d" % (i + 1), "ttl": 300}
              for i in range(25)]
    wanted += [{"name": "w00", "type": "A", "content": "192.0.2.200", "ttl": 300, "solo": True}]
    for rec in wanted:
        result = run_module("dns_record", dict(rec, zone=ZONE))
        assert result.get("failed") is not True, result.get("msg")
    emulator.faults([])
    expected = [dict((k, v) for k, v in r.items() if k != "solo") for r in wanted[1:]]
    assert meaning(canonical(emulator, zone)) == desired_meaning(expected, ZONE)


def test_zz_fault_summary():
    """Prints which faults hit which requests over the scenarios above (run with -s to see it)."""
    print("\nfaults injected over all seeds: " + ", ".join("%s %d" % kv for kv in sorted(KIND_TOTALS.items())))
