# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml must list every module in the ``cloudflare`` action group (and nothing else)."""
from __future__ import annotations

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _modules():
    modules_dir = os.path.join(ROOT, "plugins", "modules")
    if not os.path.isdir(modules_dir):
        return []
    return sorted(
        name[:-3]
        for name in os.listdir(modules_dir)
        if name.endswith(".py") and not name.startswith("_")
    )


def _runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_action_group_lists_every_module():
    group = (_runtime().get("action_groups") or {}).get("cloudflare")
    assert isinstance(group, list), "meta/runtime.yml needs action_groups.cloudflare (a list)"
    assert sorted(group) == _modules(), (
        "meta/runtime.yml action_groups.cloudflare differs from plugins/modules/*.py; "
        "run `make sync-action-group` (scripts/sync-action-group.py) and commit meta/runtime.yml"
    )
    assert group == sorted(group), "keep the action group sorted (scripts/sync-action-group.py does)"


def test_requires_ansible():
    assert _runtime()["requires_ansible"] == ">=2.16.0"
