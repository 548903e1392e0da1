#!/usr/bin/env python
"""Run on a test client: probe every origin of the test bed and print one JSON object of results.

Usage: probe.py NET_PREFIX VISITOR_IP  (e.g. 10.231.1 203.0.113.7). Targets only the test bed's own addresses.
"""
import json
import socket
import subprocess
import sys

ORIGINS = {"w9v23": (10, "shop.w9v23.test"), "w9v22": (11, "blog.w9v22.test"), "plain": (12, "site.plain.test")}
HEALTH = "/.well-known/origin-health"


def curl(url, domain, ip, port, *extra):
    cmd = ["curl", "-sS", "-m", "5", "-o", "/tmp/probe-body", "-w", "%{http_code}", "--cacert", "/root/origin-ca.crt",
           "--resolve", "%s:%d:%s" % (domain, port, ip)] + list(extra) + [url]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        with open("/tmp/probe-body", encoding="utf-8", errors="replace") as fh:
            body = fh.read()
    except FileNotFoundError:
        body = ""
    return {"rc": proc.returncode, "code": proc.stdout.strip(), "body": body[:300], "err": proc.stderr.strip()[:200]}


def tcp(ip, port):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((ip, port))
        return "open"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    except OSError as err:
        return "error: %s" % err
    finally:
        s.close()


def main(net, visitor):
    pull = ["--cert", "/root/pull-client.crt", "--key", "/root/pull-client.key"]
    rogue = ["--cert", "/root/rogue.crt", "--key", "/root/rogue.key"]
    out = {}
    for name, (octet, domain) in ORIGINS.items():
        ip = "%s.%d" % (net, octet)
        https = "https://%s/" % domain
        res = {"ip": ip, "ports": {str(p): tcp(ip, p) for p in (80, 443, 9000, 9001, 9080, 9999)}}
        if res["ports"]["443"] == "open":
            res["site"] = curl(https, domain, ip, 443, "-H", "CF-Connecting-IP: " + visitor, *pull)
            res["nocert"] = curl(https, domain, ip, 443, "-H", "CF-Connecting-IP: " + visitor)
            res["rogue"] = curl(https, domain, ip, 443, *rogue)
            res["health"] = curl("https://%s%s" % (domain, HEALTH), domain, ip, 443, *pull)
            res["insecure_sni"] = curl("https://unknown.test/", "unknown.test", ip, 443, *pull)
        if res["ports"]["9080"] == "open":
            res["docker_port"] = curl("http://%s:9080/" % ip, domain, ip, 9080)
        if res["ports"]["80"] == "open":
            res["http"] = curl("http://%s/" % domain, domain, ip, 80)
        out[name] = res
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
