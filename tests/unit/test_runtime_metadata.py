# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml must stay in step with plugins/modules/*.py (regenerate with `make sync-action-group`)."""
from __future__ import annotations

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_ACTION = "websoft9.cloudflare.cloudflare_api"
FIX = "run `make sync-action-group` (scripts/sync-action-group.py) and commit meta/runtime.yml"


def _modules():
    modules_dir = os.path.join(ROOT, "plugins", "modules")
    if not os.path.isdir(modules_dir):
        return []
    return sorted(n[:-3] for n in os.listdir(modules_dir) if n.endswith(".py") and not n.startswith("_"))


def _runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_action_group_lists_every_module():
    group = (_runtime().get("action_groups") or {}).get("cloudflare")
    assert isinstance(group, list), "meta/runtime.yml needs action_groups.cloudflare (a list)"
    assert sorted(group) == _modules(), "action_groups.cloudflare differs from plugins/modules/*.py; " + FIX
    assert group == sorted(group), "keep the action group sorted; " + FIX


def test_action_routing_matches_shared_action_plugin():
    action = ((_runtime().get("plugin_routing") or {}).get("action") or {})
    routed = sorted(name for name, entry in action.items() if (entry or {}).get("redirect") == SHARED_ACTION)
    if os.path.isfile(os.path.join(ROOT, "plugins", "action", "cloudflare_api.py")):
        assert routed == _modules(), "every module's action must redirect to %s; %s" % (SHARED_ACTION, FIX)
    else:
        assert routed == [], "plugin_routing redirects to %s, which does not exist; %s" % (SHARED_ACTION, FIX)


def test_requires_ansible():
    assert _runtime()["requires_ansible"] == ">=2.16.0"
