#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Run ansible-test (sanity, units, ...) on a machine that reaches PyPI but not the internet at large.
#
#   scripts/ansible-test-offline.sh sanity --python 3.11 [more ansible-test args]
#
# 1. ansible-test bootstraps pip into each of its venvs with get-pip from ci-files.testing.ansible.com,
#    which is not reachable. Ask the installed ansible-test which pip it wants (X.Y), fetch that pip wheel
#    from PyPI, and put a tiny stand-in ~/.ansible/test/cache/get_pip_X_Y.py beside it. Works for any
#    ansible-test version (2.19 wants pip 24.2, 2.21 wants 25.2, ...).
# 2. ansible-test wants the collection under .../ansible_collections/websoft9/cloudflare and resolves real
#    paths (a symlink does not do), so copy the git-tracked and untracked-but-not-ignored files into
#    .build/ansible_collections/websoft9/cloudflare (no .venv, .build, caches), with its own git index
#    (ansible-test lists files with git, walking up to the nearest .git, which ignores .build/).
# 3. Run ansible-test there with .venv/bin first on PATH.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
NAMESPACE=websoft9
NAME=cloudflare
TREE=$ROOT/.build/ansible_collections/$NAMESPACE/$NAME
CACHE=${ANSIBLE_TEST_CACHE:-$HOME/.ansible/test/cache}

log() { printf '[ansible-test-offline] %s\n' "$*" >&2; }

[ -x "$PY" ] || { log "no $PY: run 'make venv' first"; exit 2; }
[ -x "$VENV/bin/ansible-test" ] || { log "no ansible-test in $VENV: run 'make venv' first"; exit 2; }

# --- 1. pip bootstrap stand-in -------------------------------------------------------------------------
pip_version=$("$PY" - <<'PY'
import re, types
try:
    from ansible_test._internal.python_requirements import get_venv_packages
    print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])
except Exception:  # internal API moved: read the default out of the source instead
    import ansible_test, os
    src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
    print(re.search(r"pip=['\"]([0-9.]+)['\"]", src).group(1))
PY
)
[ -n "$pip_version" ] || { log "could not find the pip version ansible-test wants"; exit 2; }
stub=$CACHE/get_pip_${pip_version//./_}.py
wheel=$CACHE/pip-${pip_version}-py3-none-any.whl
mkdir -p "$CACHE"
if [ ! -f "$wheel" ]; then
  log "downloading pip $pip_version wheel from PyPI into $CACHE"
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    "pip==$pip_version" -d "$CACHE"
fi
if [ ! -f "$stub" ] || ! grep -q "pip-${pip_version}-py3-none-any.whl" "$stub"; then
  log "writing pip bootstrap stand-in $stub"
  cat > "$stub" <<PY
# Stand-in for get-pip.py $pip_version (written by scripts/ansible-test-offline.sh): run pip from its wheel.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-${pip_version}-py3-none-any.whl"))
from pip._internal.cli.main import main  # noqa: E402

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
PY
fi

# --- 2. collection tree copy ---------------------------------------------------------------------------
mkdir -p "$ROOT/.build"
exec 9>"$ROOT/.build/ansible-test.lock"
flock 9   # two engineers running sanity at once must not rebuild the tree under each other
cd "$ROOT"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list_files() { git ls-files -z --cached --others --exclude-standard; }
else
  log "not a git work tree: copying everything but .git, .venv, .build, tests/output, .ansible and caches"
  list_files() {
    find . \( -name .git -o -name .venv -o -name '.venv-*' -o -name .build -o -name .ansible -o -path ./tests/output \
      -o -name __pycache__ -o -name .pytest_cache \) -prune -o \( -type f -o -type l \) -printf '%P\0'
  }
fi
# keep tests/output (ansible-test's results) between runs, replace everything else
if [ -d "$TREE" ]; then
  find "$TREE" -mindepth 1 -maxdepth 1 ! -name tests ! -name .git -exec rm -rf {} +
  [ -d "$TREE/tests" ] && find "$TREE/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +
fi
mkdir -p "$TREE"
# only paths that exist (a tracked file deleted in the work tree is still listed by git)
existing() { while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done; }
if command -v rsync >/dev/null 2>&1; then
  list_files | existing | rsync -a --from0 --files-from=- ./ "$TREE/"
else
  list_files | existing | tar --null -T - -cf - | tar -xf - -C "$TREE"
fi
# ansible-test walks up to the nearest .git to list files; /work/main/.git ignores .build/, so give the tree
# its own index (no commit needed: ansible-test reads `git ls-files`).
( cd "$TREE" && { [ -d .git ] || git init -q; } && git add -A . )
log "collection tree: $TREE ($(find "$TREE" -path "$TREE/tests/output" -prune -o -type f -print | wc -l) files)"

# --- 3. run ---------------------------------------------------------------------------------------------
cd "$TREE"
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS  # ansible-test finds the collection from the tree
export PATH="$VENV/bin:$PATH"
log "ansible-test $*"
exec ansible-test "$@"
