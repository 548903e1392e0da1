"""Benchmark: websoft9.cloudflare.dns_records converging generated zones, through ansible-playbook, against the
emulator running as a separate process (so the numbers are what a user sees).

For each size (100 as the baseline, 1,000 and 10,000 records; BENCH_DNS_SIZES overrides): converge from empty,
then unchanged, then with 5% of the records changed.  Prints requests by kind from the emulator's request log
(reads, batch writes, other writes) and the task's wall seconds, then checks the targets:
  - an unchanged converge of any size makes at most 3 requests and no write;
  - from empty, 1,000 records take at most 3 + ceil(1000/200) requests;
  - the unchanged 10,000-record run takes no more than 3x the wall time of the unchanged 100-record run (the
    ansible-playbook run, what a user waits for; the module task's own seconds are printed beside it).
Exits 1 when a target is missed.  BENCH_DNS_INPUT=records feeds the records as a `records:` list (from a vars
file) instead of `zone_file:`.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time

from emulator_process import EmulatorProcess
from gen_zone import zone_text

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIZES = [int(s) for s in os.environ.get("BENCH_DNS_SIZES", "100,1000,10000").split(",")]
INPUT = os.environ.get("BENCH_DNS_INPUT", "zone_file")
BATCH_SIZE = 200

PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: converge
      websoft9.cloudflare.dns_records:
        zone: {zone}
        {source}
        purge: true
        batch_size: {batch}
        api_token: {token}
        api_base_url: {base}
      register: dns
    - name: counts
      ansible.builtin.copy:
        content: "{{{{ dns | to_json }}}}"
        dest: {result}
"""


def records_yaml(text, zone):
    """The zone file's records as a YAML vars file with a `dns_bench_records:` list (BENCH_DNS_INPUT=records)."""
    sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
    from ansible_collections.websoft9.cloudflare.plugins.module_utils.zonefile import parse_zone
    records, _skipped = parse_zone(text, origin=zone)
    out = []
    for rec in records:
        item = {"name": rec["name"] + ".", "type": rec["type"], "content": rec["content"]}
        if rec["proxied"]:
            item["proxied"] = True
        else:
            item["ttl"] = rec["ttl"]
            item["proxied"] = False
        out.append(item)
    return json.dumps({"dns_bench_records": out})


def run_step(emu, tmp, zone, text, label):
    path = os.path.join(tmp, "%s-%s.zone" % (zone, label))
    with open(path, "w") as fh:
        fh.write(text)
    if INPUT == "records":
        vars_path = path + ".json"
        with open(vars_path, "w") as fh:
            fh.write(records_yaml(text, zone))
        source = 'records: "{{ dns_bench_records }}"'
        extra = ["-e", "@" + vars_path]
    else:
        source = "zone_file: %s" % path
        extra = []
    result_path = os.path.join(tmp, "result.json")
    playbook = os.path.join(tmp, "play.yml")
    with open(playbook, "w") as fh:
        fh.write(PLAY.format(zone=zone, source=source, batch=BATCH_SIZE, token=emu.token, base=emu.base_url,
                             result=result_path))
    times = os.path.join(tmp, "times.jsonl")
    if os.path.exists(times):
        os.remove(times)
    env = dict(os.environ, TASK_TIMER_OUT=times, ANSIBLE_CALLBACKS_ENABLED="task_timer",
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "tests", "bench", "callbacks"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    emu.call("DELETE", "/requests", control=True)
    started = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                           "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable] + extra + [playbook],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    playbook_seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-4000:])
        raise SystemExit("bench-dns: the %s run of %s failed" % (label, zone))
    log = emu.call("GET", "/requests", control=True)
    with open(times) as fh:
        task = next(json.loads(line)["seconds"] for line in fh if json.loads(line)["name"] == "converge")
    with open(result_path) as fh:
        result = json.load(fh)
    reads = sum(1 for e in log["requests"] if e["method"] == "GET")
    batch = sum(1 for e in log["requests"] if e["method"] == "POST" and e["path"].endswith("/dns_records/batch"))
    return {"label": label, "reads": reads, "batch": batch, "other": log["total"] - reads - batch,
            "total": log["total"], "writes": log["writes"], "task": task, "playbook": playbook_seconds,
            "counts": result["counts"], "changed": result["changed"]}


def main():
    rows = []
    with EmulatorProcess() as emu, tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            zone = "bench%d.example" % size
            zone_obj = emu.call("POST", "/zones", {"name": zone, "account": {"id": emu.account_id}})["result"]
            # Benchmarks run at the Free plan's limit (200 per batch).
            emu.call("POST", "/dns/batch_limit", {"zone_id": zone_obj["id"], "limit": BATCH_SIZE}, control=True)
            base, changed = zone_text(zone, size), zone_text(zone, size, change=0.05)
            for label, text in (("from empty", base), ("unchanged", base), ("5% changed", changed)):
                row = run_step(emu, tmp, zone, text, label)
                row["size"] = size
                rows.append(row)
                print("  %6d records  %-11s %s" % (size, label, _line(row)), flush=True)
    print()
    print("bench-dns (input: %s, batch_size %d): requests by kind and wall seconds" % (INPUT, BATCH_SIZE))
    print("| records | run        | reads | batch writes | other writes | task s | playbook s | created/updated/deleted/unchanged |")
    print("|--------:|------------|------:|-------------:|-------------:|-------:|-----------:|-----------------------------------|")
    for r in rows:
        c = r["counts"]
        print("| %7d | %-10s | %5d | %12d | %12d | %6.2f | %10.2f | %d/%d/%d/%d |" % (
            r["size"], r["label"], r["reads"], r["batch"], r["other"], r["task"], r["playbook"],
            c["created"], c["updated"], c["deleted"], c["unchanged"]))
    return _targets(rows)


def _line(r):
    return "reads %d, batch %d, other writes %d, task %.2f s" % (r["reads"], r["batch"], r["other"], r["task"])


def _targets(rows):
    ok = True
    print()
    for r in rows:
        if r["label"] == "unchanged":
            good = r["total"] <= 3 and r["writes"] == 0 and not r["changed"]
            ok &= good
            print("target unchanged %d: %d requests, %d writes (<= 3, 0): %s" % (
                r["size"], r["total"], r["writes"], "ok" if good else "MISSED"))
        if r["label"] == "from empty" and r["size"] == 1000:
            limit = 3 + math.ceil(1000 / 200)
            good = r["total"] <= limit
            ok &= good
            print("target from empty 1000: %d requests (<= %d): %s" % (r["total"], limit, "ok" if good else "MISSED"))
    by = dict(((r["size"], r["label"]), r) for r in rows)
    if (100, "unchanged") in by and (10000, "unchanged") in by:
        small, big = by[(100, "unchanged")], by[(10000, "unchanged")]
        good = big["playbook"] <= 3 * small["playbook"]
        ok &= good
        ratio = big["playbook"] / small["playbook"]
        print("target unchanged 10000 <= 3x unchanged 100 (wall seconds of the ansible-playbook run): %.2f s vs "
              "%.2f s (%.1fx): %s" % (big["playbook"], small["playbook"], ratio, "ok" if good else "MISSED"))
        print("  (module task alone, from the task_timer callback: %.2f s vs %.2f s, %.1fx; not a target)" % (
            big["task"], small["task"], big["task"] / small["task"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
