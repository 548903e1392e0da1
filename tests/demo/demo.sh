#!/usr/bin/env bash
# make demo: prepare the machine (podman, the test-bed image, .venv-molecule for the podman connection) and run
# tests/demo/demo.py. When the origin containers cannot be had (no podman, not root, no Debian mirror), it says
# so and runs the Cloudflare side only. W9CF_DEMO_NO_CONTAINERS=1 skips the containers on purpose.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT" || exit 2
start=$SECONDS
log() { printf '[demo %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
args=()
if [ "${W9CF_DEMO_NO_CONTAINERS:-0}" = 1 ]; then
  args+=(--no-containers)
elif [ "$(id -u)" != 0 ]; then
  log "not root: the podman test bed needs root (tests/testbed/setup.sh); Cloudflare side only"
  args+=(--no-containers)
else
  log "test bed: podman, images and .venv-molecule (tests/testbed/setup.sh; cached after the first run)"
  if ! bash tests/testbed/setup.sh 2>&1 | sed 's/^/    /'; then
    log "the test bed could not be prepared (see above): Cloudflare side only"
    args+=(--no-containers)
  else
    reqs=requirements.txt
    stamp=".venv-molecule/.w9cf-sdk-$(sha256sum "$reqs" | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
      log "the Cloudflare SDK into .venv-molecule (its ansible-playbook has the podman connection)"
      .venv-molecule/bin/python -m pip install -q --disable-pip-version-check -r "$reqs" && touch "$stamp"
    fi
  fi
  log "test bed ready after $((SECONDS - start)) s"
fi
.venv/bin/python tests/demo/demo.py "${args[@]}" "$@"
rc=$?
log "make demo: exit $rc after $((SECONDS - start)) s"
exit $rc
