#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regenerate the ``cloudflare`` action group in meta/runtime.yml from plugins/modules/*.py.

Every module of the collection belongs to the group, so that
``module_defaults: {group/websoft9.cloudflare.cloudflare: {api_token: ...}}`` reaches all of them.

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
HEADER = (
    "---\n"
    "# The action group is generated from plugins/modules/*.py by scripts/sync-action-group.py\n"
    "# (tests/unit/test_runtime_metadata.py fails when a module is missing from it).\n"
)


def module_names(modules_dir: str = MODULES) -> list[str]:
    """Return the sorted short names of the collection's modules."""
    if not os.path.isdir(modules_dir):
        return []
    return sorted(
        name[:-3]
        for name in os.listdir(modules_dir)
        if name.endswith(".py") and not name.startswith("_") and name != "__init__.py"
    )


def load_runtime(path: str = RUNTIME) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


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
    data = load_runtime()
    wanted = module_names()
    current = (data.get("action_groups") or {}).get(GROUP)
    data.setdefault("action_groups", {})
    data["action_groups"][GROUP] = wanted
    text = render(data)
    with open(RUNTIME, encoding="utf-8") as handle:
        on_disk = handle.read()
    if on_disk == text:
        return 0
    if check:
        missing = sorted(set(wanted) - set(current or []))
        extra = sorted(set(current or []) - set(wanted))
        print(f"meta/runtime.yml action_groups.{GROUP} is out of date: missing {missing}, extra {extra}; "
              f"run scripts/sync-action-group.py", file=sys.stderr)
        return 1
    with open(RUNTIME, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"meta/runtime.yml: action_groups.{GROUP} = {wanted}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
