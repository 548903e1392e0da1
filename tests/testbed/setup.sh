#!/usr/bin/env bash
# Prepare a fresh Debian 12 machine (root) for the `origin` Molecule scenario:
#   1. podman + runc + debootstrap from Debian, with the containers.conf fix that podman needs here;
#   2. the `.venv-molecule` virtualenv (molecule, molecule-plugins[podman], ansible (for containers.podman,
#      ansible.posix, community.crypto), ansible-lint);
#   3. the local images: localhost/w9cf-debian (debootstrap, cached by a stamp) and
#      localhost/w9cf-testbed:<hash of tests/testbed/image> (systemd + nginx + nftables + the test doubles).
# Every step is skipped when already done, so re-running costs a few seconds.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${W9CF_CACHE:-/var/cache/w9cf-testbed}"
VENV="${W9CF_VENV:-$ROOT/.venv-molecule}"
SUITE="${W9CF_SUITE:-bookworm}"
log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# 1. system packages
need=()
for p in podman runc debootstrap; do command -v "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ "${#need[@]}" -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
# podman as root on these machines: no RLIMIT_NOFILE raise, no systemd cgroup manager, crun fails in hybrid mode.
conf=/etc/containers/containers.conf
if ! grep -q 'w9cf-testbed' "$conf" 2>/dev/null; then
  log "writing $conf"
  mkdir -p /etc/containers
  [ -f "$conf" ] && cp "$conf" "$conf.w9cf-orig"
  cat >"$conf" <<'CONF'
# written by tests/testbed/setup.sh (w9cf-testbed)
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
fi

# 2. python tools
reqs="$HERE/requirements-molecule.txt"
stamp="$VENV/.w9cf-$(sha256sum "$reqs" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$reqs"
  touch "$stamp"
fi

# the collection as Ansible finds it (tests/conftest.py makes the same link)
link="$ROOT/.build/collections/ansible_collections/websoft9/cloudflare"
if [ ! -e "$link" ]; then mkdir -p "$(dirname "$link")"; ln -sfn "$ROOT" "$link"; fi

# 3. images
mkdir -p "$CACHE"
base=localhost/w9cf-debian:$SUITE
if ! podman image exists "$base"; then
  rootfs="$CACHE/rootfs-$SUITE"
  if [ ! -f "$CACHE/rootfs-$SUITE.stamp" ]; then
    log "debootstrap $SUITE (about a minute)"
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include=python3 "$SUITE" "$rootfs" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log"; exit 1; }
    touch "$CACHE/rootfs-$SUITE.stamp"
  fi
  log "podman import $base"
  tar -C "$rootfs" -c . | podman import - "$base" >/dev/null
fi
hash="$(cd "$HERE/image" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
img=localhost/w9cf-testbed:$hash
if ! podman image exists "$img"; then
  log "building $img"
  podman build -q --build-arg BASE="$base" -t "$img" -f "$HERE/image/Containerfile" "$HERE/image" >/dev/null
fi
podman tag "$img" localhost/w9cf-testbed:latest
log "image ready: $img (tagged localhost/w9cf-testbed:latest)"
