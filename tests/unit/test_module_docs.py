# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every plugin's documentation renders with ansible-doc (a YAML slip there breaks `ansible-doc` for users)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _plugins(kind):
    folder = os.path.join(ROOT, "plugins", kind)
    if not os.path.isdir(folder):
        return []
    return sorted("websoft9.cloudflare." + n[:-3] for n in os.listdir(folder)
                  if n.endswith(".py") and not n.startswith("_"))


def _docs(kind, names):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json", "-t", kind]
                          + names, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _read_only(name):
    return name.endswith(("_info", ".zone_export"))


def test_every_module_documents_options_examples_and_return():
    names = _plugins("modules")
    docs = _docs("module", names)
    assert sorted(docs) == names
    read_only = [n for n in names if _read_only(n)]
    assert "websoft9.cloudflare.zone_export" in read_only
    for name, doc in docs.items():
        assert doc["doc"]["short_description"], name
        assert doc["examples"].strip(), name + " has no EXAMPLES"
        assert doc["return"], name + " has no RETURN"
        for option, spec in doc["doc"].get("options", {}).items():
            assert spec.get("description"), "%s: option %s has no description" % (name, option)
        attributes = doc["doc"]["attributes"]
        assert attributes["check_mode"]["support"] == "full", name
        # modules that only read say so; every module that writes supports diff mode
        assert attributes["diff_mode"]["support"] == ("N/A" if name in read_only else "full"), name


def test_lookup_docs_render():
    names = _plugins("lookup")
    if names:
        assert sorted(_docs("lookup", names)) == names
