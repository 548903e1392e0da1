# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml and plugins/action/ must stay in step with plugins/modules/*.py (`make sync-action-group`)."""
from __future__ import annotations

import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = "run `make sync-action-group` (scripts/sync-action-group.py) and commit the result"


def _modules():
    modules_dir = os.path.join(ROOT, "plugins", "modules")
    return sorted(n[:-3] for n in os.listdir(modules_dir) if n.endswith(".py") and not n.startswith("_"))


def _runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_action_group_lists_every_module():
    group = (_runtime().get("action_groups") or {}).get("cloudflare")
    assert isinstance(group, list), "meta/runtime.yml needs action_groups.cloudflare (a list)"
    assert sorted(group) == _modules(), "action_groups.cloudflare differs from plugins/modules/*.py; " + FIX
    assert group == sorted(group), "keep the action group sorted; " + FIX


def test_every_module_has_the_in_process_action_plugin():
    actions = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "plugins", "action")) if n.endswith(".py"))
    assert actions == _modules(), FIX
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "sync-action-group.py"), "--check"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr + FIX


def test_no_action_routing():
    # A routed action makes ansible-lint take the module names for aliases (fqcn[canonical] in users' playbooks).
    assert "plugin_routing" not in _runtime()


def test_requires_ansible():
    assert _runtime()["requires_ansible"] == ">=2.16.0"
