"""Print a readable summary of what the playbooks built, read back from a (running) Cloudflare API emulator.

  python tests/demo/summary.py --base-url http://127.0.0.1:PORT/client/v4 --token TOKEN [--zone example.org]

Used by tests/demo/demo.py (which adds the origin checks and the play recaps). Standard library only.
"""
from __future__ import annotations

import argparse
import collections
import json
import urllib.request


class Api:
    def __init__(self, base_url, token):
        self.base_url = base_url.rstrip("/")
        self.root = self.base_url[: -len("/client/v4")] if self.base_url.endswith("/client/v4") else self.base_url
        self.token = token

    def _call(self, url, method="GET", body=None, auth=True):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    def get(self, path):
        return self._call(self.base_url + path)["result"]

    def control(self, method, path, body=None):
        return self._call(self.root + "/__emulator__" + path, method, body, auth=False)


def _line(label, value, width=26):
    return "  %-*s %s" % (width, label, value)


def _hsts(hsts):
    if not hsts.get("enabled"):
        return "off"
    return "on, max-age %s%s%s" % (hsts.get("max_age"), ", includeSubDomains" if hsts.get("include_subdomains") else "",
                                   ", nosniff" if hsts.get("nosniff") else "")


def cloudflare_summary(api, zone_name, countries=("DE", "US"), probe=True):
    """Lines describing the zone, and a dict of the key facts (for assertions)."""
    out, facts = [], {}
    zones = api.get("/zones?name=" + zone_name)
    if not zones:
        return ["zone %s: not found" % zone_name], facts
    zone = zones[0]
    zid = zone["id"]
    out.append("Zone %s (%s, status %s, name servers %s)" % (
        zone["name"], zone.get("type", "full"), zone.get("status"), ", ".join(zone.get("name_servers") or [])))
    records = api.get("/zones/%s/dns_records?per_page=5000" % zid)
    by_type = collections.Counter(r["type"] for r in records)
    proxied = [r for r in records if r.get("proxied")]
    facts.update(records=len(records), proxied=len(proxied), by_type=dict(by_type))
    out.append("DNS records: %d, of which %d proxied" % (len(records), len(proxied)))
    out.append("  " + "  ".join("%s %d" % (t, n) for t, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))))
    apps = sorted({r["name"] for r in proxied if r["name"].split(".")[0] in ("shop", "blog", "site", "app", "status")})
    for name in apps:
        values = sorted(r["content"] for r in proxied if r["name"] == name)
        out.append(_line("  " + name, ", ".join(values) + " (proxied)"))

    settings = {s["id"]: s["value"] for s in api.get("/zones/%s/settings" % zid)}
    hsts = (settings.get("security_header") or {}).get("strict_transport_security") or {}
    facts["settings"] = {k: settings.get(k) for k in ("ssl", "always_use_https", "min_tls_version", "tls_1_3")}
    facts["hsts"] = hsts
    out.append("Settings: SSL %s, Always Use HTTPS %s, minimum TLS %s, TLS 1.3 %s, HSTS %s" % (
        settings.get("ssl"), settings.get("always_use_https"), settings.get("min_tls_version"),
        settings.get("tls_1_3"), _hsts(hsts)))
    try:
        aop = api.get("/zones/%s/origin_tls_client_auth/settings" % zid)
        out.append("Authenticated Origin Pulls (zone): %s" % ("on" if aop.get("enabled") else "off"))
        facts["aop"] = aop.get("enabled")
    except Exception:  # noqa: BLE001 - a summary, not a test
        pass
    certs = api.get("/certificates?zone_id=" + zid)
    facts["origin_certificates"] = len(certs)
    for cert in certs:
        out.append("Origin CA certificate %s: %s, %s, expires %s" % (
            cert["id"][:12], ", ".join(cert["hostnames"]), cert["request_type"], cert["expires_on"]))

    out.append("Rules:")
    facts["rules"] = {}
    for phase, label in (("http_request_firewall_managed", "managed WAF"),
                         ("http_request_firewall_custom", "custom firewall"),
                         ("http_ratelimit", "rate limiting"), ("http_request_cache_settings", "cache")):
        try:
            rules = api.get("/zones/%s/rulesets/phases/%s/entrypoint" % (zid, phase))["rules"]
        except Exception:  # noqa: BLE001 - 404: no entrypoint yet
            rules = []
        facts["rules"][phase] = [r.get("ref") for r in rules]
        for rule in rules:
            extra = ""
            if rule.get("ratelimit"):
                rl = rule["ratelimit"]
                extra = " (%s requests / %s s, then %s for %s s)" % (
                    rl.get("requests_per_period"), rl.get("period"), rule["action"], rl.get("mitigation_timeout"))
            text = "%s: %s%s" % (rule.get("ref"), rule.get("description") or rule["action"], extra)
            out.append(_line("  " + label, text))
    access = api.get("/zones/%s/firewall/access_rules/rules" % zid)
    facts["ip_access_rules"] = len(access)
    out.append("IP access rules: " + ("; ".join("%s %s" % (r["mode"], r["configuration"]["value"]) for r in access)
                                      or "none"))

    accounts = api.get("/accounts")
    acc = accounts[0]["id"]
    pools = api.get("/accounts/%s/load_balancers/pools" % acc)
    lbs = api.get("/zones/%s/load_balancers" % zid)
    facts["pools"] = len(pools)
    facts["load_balancers"] = [lb["name"] for lb in lbs]
    if pools:
        report = api.control("POST", "/lb/probe", {"timeout_cap": 3}) if probe else {"pools": {}}
        out.append("Load balancing pools (health after one probe round of the emulator's monitors):")
        facts["health"] = {}
        for pool in pools:
            health = report.get("pools", {}).get(pool["id"], {})
            origins = health.get("origins", {})
            facts["health"][pool["name"]] = {name: o.get("healthy") for name, o in origins.items()}
            out.append("  %s: %s" % (pool["name"], "healthy" if health.get("healthy", True) else "UNHEALTHY"))
            for origin in pool["origins"]:
                o = origins.get(origin["name"], {})
                state = ("healthy" if o.get("healthy") else "unhealthy") if o.get("probed") else "not probed"
                why = (" - " + o["failure_reason"]) if o.get("failure_reason") else ""
                code = (" HTTP %s" % o["response_code"]) if o.get("response_code") else ""
                out.append("    %-18s %-14s %s%s%s" % (origin["name"], origin["address"], state, code, why))
    facts["steer"] = {}
    for lb in lbs:
        out.append("Load balancer %s: %s steering, session affinity %s, fallback %s" % (
            lb["name"], lb.get("steering_policy") or "default", lb.get("session_affinity"),
            next((p["name"] for p in pools if p["id"] == lb.get("fallback_pool")), lb.get("fallback_pool"))))
        for country in countries:
            answer = api.control("POST", "/lb/steer", {"hostname": lb["name"], "country": country})
            facts["steer"].setdefault(lb["name"], {})[country] = answer.get("origin")
            out.append("  a visitor from %s is served by %s (%s) in pool %s - %s" % (
                country, answer.get("origin"), answer.get("address"), answer.get("pool_name"), answer.get("reason")))
    return out, facts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--zone", default="example.org")
    parser.add_argument("--no-probe", action="store_true", help="do not run a probe round of the monitors")
    args = parser.parse_args()
    lines, _facts = cloudflare_summary(Api(args.base_url, args.token), args.zone, probe=not args.no_probe)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
