"""Start the emulator as a separate process for benchmarks and the demo (a context manager)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR_DIR = os.path.join(os.path.dirname(HERE), "emulator")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EmulatorProcess:
    def __init__(self, token="bench-token", port=None, state=None):
        self.token = token
        self.port = port or free_port()
        self.state = state
        self.proc = None
        self.root = "http://127.0.0.1:%d" % self.port
        self.base_url = self.root + "/client/v4"

    def __enter__(self):
        cmd = [sys.executable, "-m", "cfemu", "--port", str(self.port), "--token", self.token]
        if self.state:
            cmd += ["--state", self.state]
        env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        self.account_id = line.rsplit("account ", 1)[1].rstrip(")\n")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)

    def call(self, method, path, body=None, control=False):
        url = (self.root + "/__emulator__" if control else self.base_url) + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Content-Type": "application/json", "Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())
