# websoft9.cloudflare — developer and CI entry points.
#
#   make venv      create/refresh .venv from requirements-dev.txt (a stamp makes re-runs no-ops)
#   make test      pytest (unit + emulator + module tests), then ansible-test sanity, then ansible-lint
#   make pytest    only the pytest part            make sanity   only ansible-test sanity
#   make lint      only ansible-lint               make build    collection tarball into .build/dist
#   make emulator  run the Cloudflare API emulator (HOST, PORT, TOKEN, STATE)
#   make clean     remove .build, caches and tests/output (keeps .venv; `make distclean` removes it too)
#
# Ownership: the packaging/CI engineer owns this file. Others edit only inside their own placeholder target
# (bench, bench-dns, demo, molecule) below.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(CURDIR)/$(VENV)/bin
STAMP    := $(VENV)/.stamp-dev
# ansible-core 2.19 runs on Python 3.11+; sanity runs on the same interpreter
SANITY_PYTHON ?= 3.11
SANITY_ARGS   ?=
PYTEST_ARGS   ?= -q
LINT_ARGS     ?=
PYTEST_DIRS   := $(wildcard tests/unit tests/emulator tests/modules)
VERSION  := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL  := .build/dist/websoft9-cloudflare-$(VERSION).tar.gz

# Everything below runs with the venv first on PATH (ansible-lint and ansible-test call ansible-* themselves),
# and finds this collection through the symlink tree .build/collections (made by `collections-path`).
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv venv-molecule test pytest sanity lint build emulator clean distclean \
        sync-action-group collections-path bench bench-dns demo molecule

help:
	@sed -n 's/^#   make /  make /p' $(firstword $(MAKEFILE_LIST))
	@echo "  make venv-molecule | molecule | bench | bench-dns | demo   (see the targets)"

# ---------------------------------------------------------------------------------------------------------
# Virtual environment
venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "need Python >= 3.11 for ansible-core 2.19, got " + sys.version' 
	@test -x $(VENV)/bin/python || { echo "+ $(PYTHON) -m venv $(VENV)"; $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# Molecule, molecule-plugins[podman] and the big `ansible` package (containers.podman, community.crypto,
# ansible.posix) live in their own venv, .venv-molecule, from tests/testbed/requirements-molecule.txt; the stamp
# name is the one tests/testbed/setup.sh uses, so either way installs it once.
MOLECULE_VENV ?= .venv-molecule
MOLECULE_REQS := tests/testbed/requirements-molecule.txt
venv-molecule:
	@test -f $(MOLECULE_REQS) || { echo "no $(MOLECULE_REQS)"; exit 1; }
	@stamp=$(MOLECULE_VENV)/.w9cf-$$(sha256sum $(MOLECULE_REQS) | cut -c1-16); \
	if [ ! -f "$$stamp" ]; then \
	  echo "+ $(PYTHON) -m venv $(MOLECULE_VENV) && pip install -r $(MOLECULE_REQS)"; \
	  $(PYTHON) -m venv $(MOLECULE_VENV); \
	  $(MOLECULE_VENV)/bin/python -m pip install --quiet -r $(MOLECULE_REQS); \
	  touch "$$stamp"; \
	fi

# ---------------------------------------------------------------------------------------------------------
# Tests
# Runs all three even when one fails (so one run shows every problem), prints each part's seconds, and
# fails if any part failed.
TEST_PARTS := pytest sanity lint
test:
	@failed=""; for part in $(TEST_PARTS); do \
	  start=$$SECONDS; rc=0; $(MAKE) --no-print-directory $$part || rc=$$?; \
	  echo "[make test] $$part: $$((SECONDS - start)) s, exit $$rc"; [ $$rc -eq 0 ] || failed="$$failed $$part"; \
	done; \
	if [ -n "$$failed" ]; then echo "[make test] FAILED:$$failed"; exit 1; fi; echo "[make test] all passed: $(TEST_PARTS)"

# .build/collections/ansible_collections/websoft9/cloudflare -> repo root (tests/conftest.py makes it too)
collections-path:
	@mkdir -p .build/collections/ansible_collections/websoft9
	@ln -sfn $(CURDIR) .build/collections/ansible_collections/websoft9/cloudflare

# exit 5 = "no tests collected": not fatal while a test directory is still empty.
# .build/pytest-junit.xml: .ci/run repeats the counts at the end of its output.
pytest: venv collections-path
	@mkdir -p .build; rc=0; $(BIN)/pytest $(PYTEST_ARGS) --junitxml=.build/pytest-junit.xml $(PYTEST_DIRS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests collected in $(PYTEST_DIRS) (exit 5, not fatal)"; rc=0; fi; \
	exit $$rc

# ansible-test needs .../ansible_collections/websoft9/cloudflare as a real directory and cannot download
# get-pip here: scripts/ansible-test-offline.sh copies the tree to .build/ansible_collections/... and bootstraps.
sanity: venv
	scripts/ansible-test-offline.sh sanity --python $(SANITY_PYTHON) --color no $(SANITY_ARGS)

lint: venv collections-path
	$(BIN)/ansible-lint --profile production $(LINT_ARGS)

sync-action-group: venv
	$(BIN)/python scripts/sync-action-group.py

# ---------------------------------------------------------------------------------------------------------
# Build and run
build: venv
	@mkdir -p .build/dist
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist .
	@bad=$$(tar -tzf $(TARBALL) | grep -E '(^|/)(\.venv[^/]*|\.build|\.ansible|\.ci|\.git|__pycache__|\.pytest_cache|tests/output)(/|$$)|\.pyc$$' || true); \
	if [ -n "$$bad" ]; then echo "$(TARBALL) contains files it must not:"; echo "$$bad" | head -20; exit 1; fi; \
	echo "$(TARBALL): $$(tar -tzf $(TARBALL) | wc -l) entries, $$(du -h $(TARBALL) | cut -f1)"

HOST  ?= 127.0.0.1
PORT  ?= 8787
TOKEN ?= emulator-token
STATE ?=
emulator: venv
	PYTHONPATH=$(CURDIR)/tests/emulator $(BIN)/python -m cfemu --host $(HOST) --port $(PORT) --token $(TOKEN) \
	  $(if $(STATE),--state $(STATE))

clean:
	rm -rf .build tests/output .ansible .pytest_cache
	find . -path ./$(VENV) -prune -o -path ./$(MOLECULE_VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(MOLECULE_VENV)

# ---------------------------------------------------------------------------------------------------------
# Placeholders: each is owned by the engineer named; edit only inside your own target.

# === bench (owner: benchmarks) ===
bench: venv collections-path
	$(BIN)/python tests/bench/overhead.py
# === end bench ===

# === bench-dns (owner: benchmarks) ===
# Generated zones of 100, 1,000 and 10,000 records through ansible-playbook against the emulator process
# (BENCH_DNS_SIZES=100,1000 for a quicker run; BENCH_DNS_INPUT=records to feed a records: list instead).
bench-dns: venv collections-path
	cd tests/bench && $(BIN)/python bench_dns.py
# === end bench-dns ===

# === test-reliability (owner: dns modules) ===
# DNS converges under 20% injected faults (429, 5xx before/after commit, dropped connections), fixed seeds.
.PHONY: test-reliability
test-reliability: venv collections-path
	@start=$$SECONDS; $(BIN)/pytest -q -s tests/reliability; echo "[test-reliability] $$((SECONDS - start)) s"
# === end test-reliability ===

# === demo (owner: playbooks/demo) ===
# make demo: the README's first command. Prepares podman + the test-bed image + .venv-molecule (tests/testbed),
# starts the Cloudflare API emulator (state file .build/demo/state.json) and three Websoft9-like origin
# containers, runs playbooks/site.yml for the proxy and the load balancer topologies on
# ../shared/data/zones/example.org.zone, runs them again (asserting changed=0 in the PLAY RECAP), and prints a
# summary. Without podman it says so and runs the Cloudflare side only. DEMO_ARGS=--keep leaves it running.
DEMO_ARGS ?=
demo: venv collections-path
	@bash tests/demo/demo.sh $(DEMO_ARGS)
# === end demo ===

# === molecule (owner: roles/testbed) ===
# make molecule-origin: the `origin` scenario (roles origin + tunnel) on podman containers, end to end:
# tests/testbed/setup.sh installs podman/runc/debootstrap if missing, fixes containers.conf, makes
# .venv-molecule and builds the local images (cached by stamps), then molecule runs
# destroy -> syntax -> create -> prepare -> check -> converge -> idempotence -> verify -> destroy. Prints the seconds
# (measured: 309 s from nothing cached - venv, debootstrap, image build - with podman already installed).
# MOLECULE_ARGS=--destroy=never keeps the containers for a look (podman exec -it w9cf-w9v23 bash).
.PHONY: molecule-origin molecule-proxy molecule-load_balancer
MOLECULE_ARGS ?=
# make molecule: every scenario, one after the other (each prints its seconds; a failure does not stop the
# others; the target fails if one failed). MOLECULE_SCENARIOS="proxy" runs a subset.
MOLECULE_SCENARIOS ?= origin proxy load_balancer
molecule: collections-path
	@failed=""; for s in $(MOLECULE_SCENARIOS); do \
	  start=$$SECONDS; rc=0; $(MAKE) --no-print-directory molecule-$$s || rc=$$?; \
	  echo "[make molecule] $$s: $$((SECONDS - start)) s, exit $$rc"; [ $$rc -eq 0 ] || failed="$$failed $$s"; \
	done; \
	if [ -n "$$failed" ]; then echo "[make molecule] FAILED:$$failed"; exit 1; fi; \
	echo "[make molecule] all passed: $(MOLECULE_SCENARIOS)"

# make molecule-proxy / molecule-load_balancer: playbooks/site.yml per topology against the emulator (a process
# with a state file) and three origin containers; converge -> idempotence -> verify (load_balancer: failover).
# The Cloudflare modules run in .venv-molecule's ansible-playbook, so the SDK (requirements.txt) goes there too.
molecule-proxy molecule-load_balancer: collections-path
	@start=$$SECONDS; bash tests/testbed/setup.sh; \
	stamp=$(MOLECULE_VENV)/.w9cf-sdk-$$(sha256sum requirements.txt | cut -c1-16); \
	[ -f $$stamp ] || { $(MOLECULE_VENV)/bin/python -m pip install -q -r requirements.txt && touch $$stamp; }; \
	cd extensions && PATH="$(CURDIR)/$(MOLECULE_VENV)/bin:$$PATH" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 \
	  $(CURDIR)/$(MOLECULE_VENV)/bin/molecule test -s $(@:molecule-%=%) $(MOLECULE_ARGS); \
	echo "[make $@] passed in $$((SECONDS - start)) s"

molecule-origin: collections-path
	@start=$$SECONDS; bash tests/testbed/setup.sh; \
	cd extensions && PATH="$(CURDIR)/$(MOLECULE_VENV)/bin:$$PATH" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 \
	  $(CURDIR)/$(MOLECULE_VENV)/bin/molecule test -s origin $(MOLECULE_ARGS); \
	echo "[make molecule-origin] passed in $$((SECONDS - start)) s"
# === end molecule ===
