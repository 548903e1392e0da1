#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regenerate the per-module parts of meta/runtime.yml from plugins/modules/*.py.

- ``action_groups.cloudflare`` lists every module, so that
  ``module_defaults: {group/websoft9.cloudflare.cloudflare: {api_token: ...}}`` reaches all of them.
- When the shared action plugin plugins/action/cloudflare_api.py exists, ``plugin_routing.action.<module>``
  redirects every module's action to it (it runs the module in the worker process when it can).

Everything else in meta/runtime.yml is kept. tests/unit/test_runtime_metadata.py checks the same rules.

Usage: scripts/sync-action-group.py          rewrite meta/runtime.yml if it is out of date
       scripts/sync-action-group.py --check  exit 1 (and say what differs) if it is out of date
"""
from __future__ import annotations

import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNTIME = os.path.join(ROOT, "meta", "runtime.yml")
MODULES = os.path.join(ROOT, "plugins", "modules")
GROUP = "cloudflare"
ACTION_PLUGIN = "cloudflare_api"
ACTION_REDIRECT = "websoft9.cloudflare." + ACTION_PLUGIN
HEADER = (
    "---\n"
    "# action_groups.cloudflare and the module entries of plugin_routing.action are generated from\n"
    "# plugins/modules/*.py by scripts/sync-action-group.py (`make sync-action-group`);\n"
    "# tests/unit/test_runtime_metadata.py fails when they are out of date.\n"
)


def module_names(root: str = ROOT) -> list[str]:
    """Return the sorted short names of the collection's modules."""
    modules_dir = os.path.join(root, "plugins", "modules")
    if not os.path.isdir(modules_dir):
        return []
    return sorted(
        name[:-3]
        for name in os.listdir(modules_dir)
        if name.endswith(".py") and not name.startswith("_")
    )


def has_action_plugin(root: str = ROOT) -> bool:
    return os.path.isfile(os.path.join(root, "plugins", "action", ACTION_PLUGIN + ".py"))


def load_runtime(path: str = RUNTIME) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def synced(data: dict, modules: list[str], action_plugin: bool) -> dict:
    """Return a copy of the runtime data with the generated parts set."""
    data = dict(data)
    data["action_groups"] = dict(data.get("action_groups") or {})
    data["action_groups"][GROUP] = list(modules)

    routing = dict(data.get("plugin_routing") or {})
    action = {
        name: entry
        for name, entry in (routing.get("action") or {}).items()
        # drop generated entries (redirects to the shared plugin) for modules that no longer exist
        if not (isinstance(entry, dict) and entry.get("redirect") == ACTION_REDIRECT)
    }
    if action_plugin:
        for name in modules:
            action[name] = {"redirect": ACTION_REDIRECT}
    if action:
        routing["action"] = dict(sorted(action.items()))
    else:
        routing.pop("action", None)
    if routing:
        data["plugin_routing"] = routing
    else:
        data.pop("plugin_routing", None)
    return data


class _IndentedDumper(yaml.SafeDumper):
    """Indent block sequences under their key (yamllint's / ansible-lint's default style)."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def render(data: dict) -> str:
    # requires_ansible first, then the rest in a stable order
    ordered = {"requires_ansible": data.get("requires_ansible", ">=2.16.0")}
    ordered.update((k, v) for k, v in data.items() if k != "requires_ansible")
    return HEADER + yaml.dump(ordered, Dumper=_IndentedDumper, default_flow_style=False, sort_keys=False, width=120)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    current = load_runtime()
    wanted = synced(current, module_names(), has_action_plugin())
    text = render(wanted)
    with open(RUNTIME, encoding="utf-8") as handle:
        on_disk = handle.read()
    if on_disk == text:
        return 0
    if check:
        print("meta/runtime.yml is out of date: run scripts/sync-action-group.py (make sync-action-group)",
              file=sys.stderr)
        return 1
    with open(RUNTIME, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"meta/runtime.yml: action_groups.{GROUP} = {wanted['action_groups'][GROUP]}"
          + (f"; plugin_routing.action -> {ACTION_REDIRECT}" if has_action_plugin() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
