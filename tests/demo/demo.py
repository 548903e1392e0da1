"""The demo (make demo): both topologies of the Websoft9 guide, end to end, on one machine.

1. starts the Cloudflare API emulator as a process with a state file (.build/demo/state.json, fresh each run);
2. starts three Websoft9-like origin containers of the test bed (tests/testbed: Websoft9 2.3, Websoft9 2.2 and
   plain nginx) on the podman network 10.232.0.0/24, unless --no-containers or podman is unusable;
3. runs playbooks/site.yml with cloudflare_topology=proxy, then =load_balancer, on
   ../shared/data/zones/example.org.zone plus the origins' app domains; then the load balancer topology again and
   drift.yml, and asserts that both report changed=0 (parsed from the PLAY RECAP) and drift.yml exits 0;
4. prints a summary: records by type, proxied count, settings, rules, pools with origin health, which origin
   serves a visitor from two countries (the emulator's steering endpoint), and what the origin checks saw.

Without containers only the Cloudflare side runs (proxy.yml and load_balancer.yml), and the demo says so.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
sys.path.insert(0, HERE)

from emulator_process import EmulatorProcess  # noqa: E402
from checks import check_origins, client_certificate  # noqa: E402
from summary import Api, cloudflare_summary  # noqa: E402

WORK = os.path.join(ROOT, ".build", "demo")
INVENTORY = os.path.join(ROOT, "playbooks", "inventory", "demo")
NETWORK, SUBNET = "w9cf-demo", "10.232.0.0/24"
ORIGINS = [  # container, layout, address, domain, Websoft9 app (None: plain nginx)
    ("w9cf-demo-w9v23", "w9v23", "10.232.0.10", "shop.example.org", "wordpress"),
    ("w9cf-demo-w9v22", "w9v22", "10.232.0.11", "blog.example.org", "ghost"),
    ("w9cf-demo-plain", "plain", "10.232.0.12", "site.example.org", None),
]
IMAGE = "localhost/w9cf-testbed:latest"
TESTBED_ENV = {"W9CF_NPM_EMAIL": "admin@w9cf.test", "W9CF_NPM_PASSWORD": "w9cf-npm-test-password",
               "W9CF_APPHUB_KEY": "w9cf-apphub-test-key"}
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
T0 = time.monotonic()


def log(msg):
    print("[demo %5.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def sh(*cmd, check=True, env=None):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), proc.returncode, (proc.stderr or proc.stdout)[-800:]))
    return proc


# ---- origin containers -----------------------------------------------------------------------------------------
def podman_problem():
    if shutil.which("podman") is None:
        return "podman is not installed (tests/testbed/setup.sh installs it on Debian as root)"
    if sh("podman", "image", "exists", IMAGE, check=False).returncode != 0:
        return "the test-bed image %s is missing (tests/testbed/setup.sh builds it)" % IMAGE
    return None


def destroy_containers():
    for origin in ORIGINS:
        sh("podman", "rm", "-f", "-t", "0", origin[0], check=False)
    sh("podman", "network", "rm", "-f", NETWORK, check=False)


def start_containers():
    destroy_containers()
    sh("podman", "network", "create", "--subnet", SUBNET, "--disable-dns", NETWORK)
    for name, layout, address, _domain, _app in ORIGINS:
        sh("podman", "run", "-d", "--name", name, "--hostname", name.replace("w9cf-", ""),
           "--network", "%s:ip=%s" % (NETWORK, address), "--systemd=always", "--cap-add", "NET_ADMIN,NET_RAW",
           IMAGE, "/sbin/init")
    errors = []
    threads = [threading.Thread(target=prepare_origin, args=(origin, errors)) for origin in ORIGINS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("; ".join(errors))


def prepare_origin(origin, errors):
    name, layout, address, domain, app = origin
    try:
        sh("timeout", "60", "podman", "exec", name, "systemctl", "is-system-running", "--wait", check=False)
        env_args = [a for k, v in TESTBED_ENV.items() for a in ("-e", "%s=%s" % (k, v))]
        for attempt in range(3):  # the test bed's services may still be starting
            proc = sh("podman", "exec", *env_args, name, "w9cf-layout", layout, check=attempt == 2)
            if proc.returncode == 0:
                break
            time.sleep(2)
        if app:  # bind the demo's domains to the app, the way the Websoft9 console does (apphub -> NPM)
            body = json.dumps({"domain_names": [domain, "app.example.org"]})
            sh("podman", "exec", name, "curl", "-fsS", "-X", "POST", "-H", "x-api-key: " + TESTBED_ENV["W9CF_APPHUB_KEY"],
               "-H", "Content-Type: application/json", "-d", body, "http://127.0.0.1:9000/api/proxys/" + app)
        log("origin %s (%s) up at %s" % (name, layout, address))
    except RuntimeError as err:
        errors.append(str(err))


# ---- playbooks ------------------------------------------------------------------------------------------------
def ansible_bin():
    """.venv-molecule has containers.podman (the podman connection); the Cloudflare SDK is added to it once."""
    mol = os.path.join(ROOT, ".venv-molecule", "bin")
    return mol if os.path.exists(os.path.join(mol, "ansible-playbook")) else os.path.join(ROOT, ".venv", "bin")


def run_playbook(playbook, topology, emu, label, logfile):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_PIPELINING="true", ANSIBLE_FORKS="3", ANSIBLE_DISPLAY_SKIPPED_HOSTS="false",
               W9CF_DEMO_TOKEN=emu.token, W9CF_DEMO_BASE_URL=emu.base_url, W9CF_DEMO_DIR=WORK)
    bindir = ansible_bin()
    cmd = [os.path.join(bindir, "ansible-playbook"), "-i", INVENTORY, os.path.join(ROOT, "playbooks", playbook),
           "-e", "cloudflare_topology=" + topology, "-e", "cloudflare_origin_serial=2"]
    started = time.monotonic()
    log("%s: ansible-playbook playbooks/%s -e cloudflare_topology=%s" % (label, playbook, topology))
    out = []
    with open(logfile, "a") as fh:
        fh.write("\n##### %s: %s\n" % (label, " ".join(cmd)))
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        tasks = 0
        for line in proc.stdout:
            fh.write(line)
            out.append(line)
            if line.startswith("TASK ["):
                tasks += 1
                if tasks % 10 == 0:
                    print("    ... %d tasks, %s" % (tasks, line.strip("* \n")[:100]), flush=True)
            elif line.startswith("PLAY ["):
                print("    " + line.strip("* \n"), flush=True)
            elif line.startswith(("fatal:", "failed:", "[ERROR]")):
                print("    " + line.rstrip()[:300], flush=True)
        rc = proc.wait()
    text = "".join(out)
    recap = {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), unreachable=int(m.group(4)),
                              failed=int(m.group(5))) for m in RECAP.finditer(text)}
    seconds = time.monotonic() - started
    log("%s: exit %d in %.0f s; recap %s" % (label, rc, seconds, ", ".join(
        "%s changed=%d failed=%d" % (h, r["changed"], r["failed"]) for h, r in sorted(recap.items()))))
    if rc != 0:
        raise RuntimeError("%s failed (see %s)" % (label, logfile))
    return recap, seconds


# ---- main -----------------------------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description="websoft9.cloudflare demo")
    parser.add_argument("--no-containers", action="store_true", help="only the Cloudflare side (no podman)")
    parser.add_argument("--keep", action="store_true", help="leave the emulator and the containers running")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK, mode=0o700)
    logfile = os.path.join(WORK, "ansible.log")

    zone_file = os.environ.get("W9CF_ZONE_FILE") or os.path.join(os.path.dirname(ROOT), "shared", "data", "zones",
                                                                 "example.org.zone")
    if not os.path.isfile(zone_file):
        print("The demo's input zone file %s is missing (shared/ beside the clone); set W9CF_ZONE_FILE to a BIND "
              "zone file of example.org." % zone_file)
        return 2
    os.environ["W9CF_ZONE_FILE"] = zone_file
    with open(zone_file) as fh:
        log("input: %s (%d lines)" % (zone_file, len(fh.readlines())))
    problem = "--no-containers given" if args.no_containers else podman_problem()
    containers = tried = problem is None
    emu = EmulatorProcess(token="demo-token", state=os.path.join(WORK, "state.json"))
    emu.__enter__()
    try:
        log("emulator at %s (state file %s)" % (emu.base_url, os.path.relpath(emu.state, ROOT)))
        api = Api(emu.base_url, emu.token)
        api.control("POST", "/lb/allow", {"addresses": [SUBNET]})
        with open(os.path.join(WORK, "origin-pull-ca.pem"), "w") as fh:
            fh.write(api.control("GET", "/origin_pull/ca")["certificate"])
        if containers:
            try:
                start_containers()
            except RuntimeError as err:
                containers, problem = False, "the origin containers did not start: %s" % err
        if not containers:
            print("\n*** NO ORIGIN CONTAINERS: %s.\n*** Running the Cloudflare side only (proxy.yml, "
                  "load_balancer.yml); origin checks and health probes are skipped.\n" % problem, flush=True)
        # 1. the proxy topology; 2. the load balancer topology (for the origins, already their second run);
        # 3. the same again: must change nothing; 4. drift.yml (check mode): no drift, exit 0, nothing changed.
        site = "site.yml" if containers else None
        plan = [("proxy, first run", site or "proxy.yml", "proxy", False),
                ("load_balancer, first", site or "load_balancer.yml", "load_balancer", False),
                ("load_balancer, again", site or "load_balancer.yml", "load_balancer", True),
                ("drift report", "drift.yml", "load_balancer", True)]
        runs = []
        for label, playbook, topology, second in plan:
            recap, seconds = run_playbook(playbook, topology, emu, label, logfile)
            runs.append((label, playbook, recap, seconds, second))

        print("\n" + "=" * 100)
        print("websoft9.cloudflare demo: what was built (read back from the emulator)")
        print("=" * 100)
        lines, facts = cloudflare_summary(api, "example.org", probe=containers)
        print("\n".join(lines))
        ok = True
        if containers:
            print("Origin checks (from the host, which the origins' firewall treats as Cloudflare):")
            with open(os.path.join(WORK, "pki", "example.org.origin.pem")) as fh:
                issued = fh.read()
            check_lines, ok = check_origins([(o[0], o[2], o[3]) for o in ORIGINS],
                                            client_certificate(emu.base_url, WORK), issued)
            print("\n".join(check_lines))
        print("Runs (PLAY RECAP):")
        second_clean = True
        for label, playbook, recap, seconds, second in runs:
            changed = sum(r["changed"] for r in recap.values())
            print("  %-22s %-18s %5.0f s  changed=%-3d (%s)" % (label, playbook, seconds, changed, ", ".join(
                "%s %d" % (h.replace("w9cf-demo-", ""), r["changed"]) for h, r in sorted(recap.items()))))
            if second and changed != 0:
                second_clean = False
        print("Second runs report no changes: %s" % ("yes, changed=0 on every host" if second_clean else "NO"))
        print("Full Ansible output: %s; total %.0f s" % (os.path.relpath(logfile, ROOT), time.monotonic() - T0))
        if not containers:
            print("(origin containers were not started: %s)" % problem)
        if not (second_clean and ok):
            return 1
        return 0
    finally:
        if not args.keep:
            emu.__exit__(None, None, None)
            if tried:
                destroy_containers()
        else:
            names = ", ".join(o[0] for o in ORIGINS)
            log("left running: emulator %s (token %s); containers %s" % (emu.base_url, emu.token, names))


if __name__ == "__main__":
    sys.exit(main())
