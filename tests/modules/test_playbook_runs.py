"""Modules through ansible-playbook: module_defaults, the in-process action path and the process path agree."""
from __future__ import annotations

import json
import os
import sys

from helpers import ansible_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/websoft9.cloudflare.cloudflare:
      api_token: "{token}"
      api_base_url: "{base}"
  tasks:
    - name: in-process create
      websoft9.cloudflare.zone:
        name: inproc.example
      register: inproc
    - name: as a process (a task environment forces it)
      websoft9.cloudflare.zone:
        name: process.example
      environment:
        W9_FORCE_PROCESS: "1"
      register: process
    - name: in-process, unchanged
      websoft9.cloudflare.zone:
        name: inproc.example
      register: again
    - name: a failure keeps its message, not the token
      websoft9.cloudflare.zone_info:
        name: inproc.example
        api_token: wrong-secret-token
      register: failure
      ignore_errors: true
    - name: results
      ansible.builtin.copy:
        content: "{{{{ {{'inproc': inproc, 'process': process, 'again': again, 'failure': failure}} | to_json }}}}"
        dest: "{out}"
        mode: "0600"
"""


def run_playbook(tmp_path, text, *extra):
    playbook = tmp_path / "play.yml"
    playbook.write_text(text)
    return ansible_playbook(["-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
                             "-vvv", playbook] + list(extra), timeout=120)


def test_in_process_and_process_paths(emulator, tmp_path):
    out = tmp_path / "results.json"
    proc = run_playbook(tmp_path, PLAYBOOK.format(token=emulator.token, base=emulator.base_url, out=out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("running the module in the worker process") == 3
    assert proc.stdout.count("executing the module as a process") == 1
    results = json.loads(out.read_text())
    assert results["inproc"]["changed"] is True
    assert results["inproc"]["zone"]["name"] == "inproc.example"
    assert results["process"]["changed"] is True
    assert results["process"]["zone"]["name"] == "process.example"
    assert sorted(results["inproc"]["zone"]) == sorted(results["process"]["zone"])
    assert results["again"]["changed"] is False
    assert results["failure"]["failed"] is True
    assert results["failure"]["status"] == 401
    assert "Invalid API Token" in results["failure"]["msg"]
    assert "wrong-secret-token" not in proc.stdout
    names = sorted(z["name"] for z in emulator.api("GET", "/zones")["result"])
    assert names == ["inproc.example", "process.example"]


def test_check_mode_through_the_action_plugin(emulator, tmp_path):
    play = """
- hosts: localhost
  gather_facts: false
  tasks:
    - websoft9.cloudflare.zone:
        name: checked.example
        api_token: "%s"
        api_base_url: "%s"
""" % (emulator.token, emulator.base_url)
    proc = run_playbook(tmp_path, play, "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "changed: [localhost]" in proc.stdout
    assert '+    "name": "checked.example"' in proc.stdout or '"name": "checked.example"' in proc.stdout
    assert emulator.requests()["writes"] == 0
    assert emulator.api("GET", "/zones")["result"] == []
