"""A stateful emulator of the Cloudflare v4 API for tests, benchmarks and the demo (stdlib only)."""
from __future__ import annotations

import importlib

FAMILIES = [
    "accounts",
    "zones",
    "load_balancing",
    "dns",
    "rulesets",
    "access_rules",
    "certificates",
    "tunnels",
    "graphql",
]

_loaded = False


def load_families():
    global _loaded
    if not _loaded:
        for name in FAMILIES:
            importlib.import_module("cfemu." + name)
        _loaded = True
