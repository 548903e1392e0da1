"""Shared pytest set-up: the collection on sys.path, the in-process emulator, and running modules against it."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "websoft9", "cloudflare")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
for path in (COLLECTIONS, os.path.join(ROOT, "tests", "emulator"), os.path.join(ROOT, "tests")):
    if path not in sys.path:
        sys.path.insert(0, path)

from helpers import EmulatorHandle, run_module_against  # noqa: E402  (needs the sys.path above)


@pytest.fixture(scope="session")
def _emulator_server():
    from cfemu.core import Emulator, State
    from cfemu.server import EmulatorServer

    server = EmulatorServer(Emulator(State(token="test-token", api_key="test-key", api_email="ops@example.com")))
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def emulator(_emulator_server, monkeypatch):
    """A fresh emulator state for each test (the server itself is shared by the session)."""
    from ansible_collections.websoft9.cloudflare.plugins.module_utils import client

    monkeypatch.setattr(client, "BACKOFF_BASE", 0.001)
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL", "CLOUDFLARE_ACCOUNT_ID",
                 "CLOUDFLARE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    handle = EmulatorHandle(_emulator_server)
    handle.reset()
    return handle


@pytest.fixture
def run_module(emulator):
    """run_module(name, args, check_mode=False, diff=False) -> the module's result dict."""
    def run(name, args=None, check_mode=False, diff=False, credentials=True):
        return run_module_against(emulator, name, args or {}, check_mode=check_mode, diff=diff,
                                  credentials=credentials)
    return run
