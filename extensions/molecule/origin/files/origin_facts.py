#!/usr/bin/env python
"""Run on an origin of the test bed: print one JSON object with what the verify play asserts on."""
import json
import os
import subprocess
import sys


def run(*cmd):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    return {"rc": proc.returncode, "out": (proc.stdout + proc.stderr)[-4000:]}


def read(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


layout = sys.argv[1]
facts = {"nft": run("nft", "list", "table", "inet", "websoft9_cloudflare"), "nginx_t": run("nginx", "-t"),
         "nft_forward": run("nft", "list", "chain", "inet", "websoft9_cloudflare", "forward")}
if layout == "plain":
    facts["access_log"] = read("/var/log/nginx/websoft9-cloudflare-origin.access.log") or ""
else:
    data = "/opt/websoft9/data" if layout == "w9v23" else "/var/lib/docker/volumes/websoft9_nginx_data/_data"
    facts["access_log"] = read(data + "/logs/proxy-host-1_access.log") or ""
    db = json.loads(read(data + "/w9cf-npm.json"))
    facts["hosts"] = {h["domain_names"][0]: {"certificate_id": h["certificate_id"], "ssl_forced": h["ssl_forced"],
                                             "meta": h["meta"]} for h in db["proxy_hosts"]}
    facts["certificates"] = [{"id": c["id"], "nice_name": c["nice_name"], "domain_names": c["domain_names"]}
                             for c in db["certificates"] if not c["is_deleted"]]
    facts["docker_calls"] = [json.loads(line) for line in (read("/var/log/w9cf-docker.log") or "").splitlines()]
    facts["npm_requests"] = (read("/var/log/w9cf-npm-requests.log") or "").splitlines()
facts["app_log"] = read("/var/log/nginx/w9cf-app.log") or ""
if os.path.isdir("/etc/cloudflared"):
    pid = run("systemctl", "show", "-p", "MainPID", "--value", "cloudflared.service")["out"].strip()
    tun = {"active": run("systemctl", "is-active", "cloudflared.service")["out"].strip(),
           "enabled": run("systemctl", "is-enabled", "cloudflared.service")["out"].strip(),
           "config": read("/etc/cloudflared/config.yml"),
           "unit": read("/etc/systemd/system/cloudflared.service"),
           "modes": {f: oct(os.stat(os.path.join("/etc/cloudflared", f)).st_mode & 0o777)
                     for f in os.listdir("/etc/cloudflared")}}
    if pid and pid != "0":
        with open("/proc/%s/cmdline" % pid, "rb") as fh:
            tun["argv"] = [a.decode() for a in fh.read().split(b"\0") if a]
        tun["journal"] = run("journalctl", "-u", "cloudflared.service", "-o", "cat", "--no-pager", "-n", "5")["out"]
        tun["user"] = run("ps", "-o", "user=", "-p", pid)["out"].strip()
    facts["tunnel"] = tun
print(json.dumps(facts))
