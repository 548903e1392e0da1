"""Test helpers: a handle on the in-process emulator, and running a module in-process against it."""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.request

from ansible.module_utils.testing import patch_module_args


class EmulatorHandle:
    def __init__(self, server):
        self.server = server
        self.emulator = server.emulator
        self.state = server.emulator.state
        self.base_url = server.base_url
        self.root_url = self.base_url[: -len("/client/v4")]
        self.token = self.state.token

    @property
    def account_id(self):
        return self.state.account_id

    def reset(self):
        self.control("POST", "/reset")

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.root_url + "/__emulator__" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def api(self, method, path, body=None):
        """A raw API call (not logged differently from a module's); returns the parsed body."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return json.loads(err.read())

    def requests(self):
        return self.control("GET", "/requests")

    def clear_requests(self):
        self.control("DELETE", "/requests")

    def faults(self, rules):
        return self.control("POST", "/faults", {"faults": rules})

    def add_zone(self, name, **extra):
        body = {"name": name, "account": {"id": self.account_id}}
        body.update(extra)
        zone = self.api("POST", "/zones", body)["result"]
        self.clear_requests()
        return zone


def run_module_against(emulator, name, args, check_mode=False, diff=False, credentials=True):
    module = importlib.import_module("ansible_collections.websoft9.cloudflare.plugins.modules." + name)
    full = dict(args)
    if credentials:
        full.setdefault("api_token", emulator.token)
        full.setdefault("api_base_url", emulator.base_url)
    full["_ansible_check_mode"] = check_mode
    full["_ansible_diff"] = diff
    out = io.StringIO()
    with patch_module_args(full), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    text = out.getvalue()
    try:
        return json.loads(text[text.index("{"):])
    except ValueError:
        raise AssertionError("module %s printed no JSON result: %r" % (name, text))


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ansible_playbook(args, extra_env=None, timeout=240):
    """Run this venv's ansible-playbook with the collection on its path; returns the CompletedProcess."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    env.update(extra_env or {})
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook")] + [str(a) for a in args],
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)


RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def play_recap(stdout):
    """The PLAY RECAP of an ansible-playbook run: host -> {ok, changed, unreachable, failed}."""
    return dict((m.group(1), dict(ok=int(m.group(2)), changed=int(m.group(3)), unreachable=int(m.group(4)),
                                  failed=int(m.group(5)))) for m in RECAP_LINE.finditer(stdout))


def changed_total(stdout):
    """changed= summed over every host of the PLAY RECAP (localhost and the cloudflare-zone-* hosts)."""
    recap = play_recap(stdout)
    assert recap, "no PLAY RECAP in:\n" + stdout[-3000:]
    return sum(r["changed"] for r in recap.values())
