"""Benchmark: one zone_info task next to an ansible.builtin.uri task doing the same GET, against the emulator.

Prints the median wall time per task of each and their ratio (target: zone_info within 1.5x of uri).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

from emulator_process import EmulatorProcess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPEAT = int(os.environ.get("BENCH_REPEAT", "8"))

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
{tasks}
"""
URI_TASK = """    - name: uri {i}
      ansible.builtin.uri:
        url: "{base}/zones?name=example.com"
        headers: {{Authorization: "Bearer {token}"}}
"""
ZONE_TASK = """    - name: zone_info {i}
      websoft9.cloudflare.zone_info:
        name: example.com
        api_token: "{token}"
        api_base_url: "{base}"
"""


def main():
    with EmulatorProcess() as emu, tempfile.TemporaryDirectory() as tmp:
        emu.call("POST", "/zones", {"name": "example.com", "account": {"id": emu.account_id}})
        tasks = []
        for i in range(REPEAT):  # interleaved, so a slow moment of the machine hits both alike
            tasks.append(URI_TASK.format(i=i, base=emu.base_url, token=emu.token))
            tasks.append(ZONE_TASK.format(i=i, base=emu.base_url, token=emu.token))
        playbook = os.path.join(tmp, "overhead.yml")
        with open(playbook, "w") as fh:
            fh.write(PLAY.format(tasks="".join(tasks)))
        out = os.path.join(tmp, "times.jsonl")
        env = dict(os.environ, TASK_TIMER_OUT=out, ANSIBLE_CALLBACKS_ENABLED="task_timer",
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "tests", "bench", "callbacks"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
        quiet = None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL
        subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                        "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, playbook],
                       env=env, check=True, stdout=quiet)
        times = {"uri": [], "zone_info": []}
        with open(out) as fh:
            for line in fh:
                entry = json.loads(line)
                times[entry["name"].split()[0]].append(entry["seconds"])
    uri, zone = statistics.median(times["uri"]), statistics.median(times["zone_info"])
    ratio = zone / uri
    print("overhead benchmark: %d tasks each, median seconds per task" % REPEAT)
    print("  ansible.builtin.uri GET /zones      %.3f s" % uri)
    print("  websoft9.cloudflare.zone_info       %.3f s" % zone)
    print("  ratio zone_info / uri               %.2fx (target <= 1.5x): %s" % (ratio, "ok" if ratio <= 1.5 else "OVER"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
