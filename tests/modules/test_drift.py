"""playbooks/drift.yml against the in-process emulator: converge, no drift, change things behind its back.

The topology playbooks converge the zone; drift.yml then runs the same roles in check + diff mode. It must exit 0
with "no drift" when nothing differs, non-zero naming exactly the zones and kinds that were changed through the
API otherwise, and never send a write request.
"""
from __future__ import annotations

import os
import re

import pytest

from helpers import ansible_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HOSTS = """
all:
  hosts:
    localhost: {ansible_connection: local}
  children:
    websoft9:
      children:
        websoft9_eu:
          hosts:
            w9-eu-1: {ansible_host: 10.232.0.10, origin_domains: [shop.example.org, app.example.org]}
            w9-eu-2: {ansible_host: 10.232.0.11, origin_domains: [app.example.org]}
        websoft9_us:
          hosts:
            w9-us-1: {ansible_host: 10.232.0.12, origin_domains: [app.example.org, www.example.net]}
"""

GROUP_VARS = """
cloudflare_api_token: "{token}"
cloudflare_api_base_url: "{base}"
cloudflare_certificate_dir: "{pki}"
cloudflare_zones:
  - name: example.org
    zone_file: "{zone_file}"
    records: [{{name: extra, type: TXT, content: "hello"}}]
    load_balancer_hostnames: [app.example.org]
  - name: example.net
    records: [{{name: "@", type: TXT, content: "v=spf1 -all"}}]
    load_balancer_hostnames: [www.example.net]
proxy_ip_access_rules:
  - {{value: 192.0.2.66, mode: block, notes: abuse}}
load_balancer_pools:
  - {{group: websoft9_eu, regions: [WEU], countries: [DE]}}
  - {{group: websoft9_us, regions: [ENAM], countries: [US]}}
"""

ZONE_FILE = ("$ORIGIN example.org.\n$TTL 3600\n@ IN A 192.0.2.10\nwww IN CNAME example.org.\n"
             "wordpress 1 IN A 192.0.2.12 ; cf_tags=cf-proxied:true\n")


@pytest.fixture
def inventory(emulator, tmp_path):
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text(HOSTS)
    zone_file = tmp_path / "example.org.zone"
    zone_file.write_text(ZONE_FILE)
    (inv / "group_vars" / "all.yml").write_text(GROUP_VARS.format(
        token=emulator.token, base=emulator.base_url, pki=tmp_path / "pki", zone_file=zone_file))
    return inv


def playbook(inventory, name, *extra):
    return ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", name)] + list(extra))


def converge(inventory, name, *extra):
    proc = playbook(inventory, name, *extra)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]


def drift(emulator, inventory, *extra):
    """drift.yml: (return code, report lines {zone: {kind: text}}, stdout); asserts it wrote nothing."""
    emulator.clear_requests()
    proc = playbook(inventory, "drift.yml", *extra)
    log = emulator.requests()
    assert log["writes"] == 0, log["by_route"]
    assert log["total"] > 0
    report = {}
    zone = None
    for line in re.findall(r'^\s+"(.*)",?$', proc.stdout, re.M):
        match = re.match(r"^(\S+):$", line)
        if match:
            zone = match.group(1)
            report[zone] = {}
            continue
        match = re.match(r"^  ([a-z ]+): \d+ \((.*)\)$", line)
        if match and zone:
            report[zone][match.group(1)] = match.group(2)
    return proc.returncode, report, proc.stdout


def api(emulator, method, path, body=None):
    answer = emulator.api(method, path, body)
    assert answer["success"], answer
    return answer["result"]


def zone_id(emulator, name):
    return api(emulator, "GET", "/zones?name=" + name)[0]["id"]


def test_drift_proxy_topology(emulator, inventory):
    converge(inventory, "proxy.yml")
    code, report, out = drift(emulator, inventory)
    assert code == 0, out[-4000:]
    assert "no drift: 2 zone(s) match the inventory (proxy topology)" in out
    assert report == {}

    org = zone_id(emulator, "example.org")
    shop = api(emulator, "GET", "/zones/%s/dns_records?name=shop.example.org&type=A" % org)[0]
    api(emulator, "PATCH", "/zones/%s/dns_records/%s" % (org, shop["id"]), {"content": "10.232.0.99"})
    net = zone_id(emulator, "example.net")
    api(emulator, "PATCH", "/zones/%s/settings/min_tls_version" % net, {"value": "1.0"})

    code, report, out = drift(emulator, inventory)
    assert code != 0, out[-4000:]
    assert "DRIFT: 2 of 2 zone(s) differ" in out
    assert sorted(report) == ["example.net", "example.org"]
    assert list(report["example.org"]) == ["records"]
    assert report["example.org"]["records"] == "create shop A"  # no purge: the changed one is kept
    assert report["example.net"] == {"settings": "min_tls_version"}
    assert "drift in 2 of 2 zone(s): example.org (records); example.net (settings)" in out

    # converge again: the drift is gone
    converge(inventory, "proxy.yml")
    code, report, out = drift(emulator, inventory)
    assert code == 0 and report == {}, out[-4000:]


def test_drift_load_balancer_topology(emulator, inventory):
    extra = ("-e", "cloudflare_topology=load_balancer")
    converge(inventory, "load_balancer.yml", *extra)
    code, report, out = drift(emulator, inventory, *extra)
    assert code == 0, out[-4000:]
    assert "no drift: 2 zone(s) match the inventory (load_balancer topology)" in out

    pools = api(emulator, "GET", "/accounts/%s/load_balancers/pools" % emulator.account_id)
    eu = [p for p in pools if p["name"] == "example-org-websoft9_eu"][0]
    origins = [{"name": o["name"], "address": "10.232.0.77" if o["address"] == "10.232.0.11" else o["address"],
                "weight": o["weight"], "enabled": o["enabled"]} for o in eu["origins"]]
    api(emulator, "PATCH", "/accounts/%s/load_balancers/pools/%s" % (emulator.account_id, eu["id"]),
        {"origins": origins})
    org = zone_id(emulator, "example.org")
    rules = api(emulator, "GET", "/zones/%s/firewall/access_rules/rules" % org)
    api(emulator, "DELETE", "/zones/%s/firewall/access_rules/rules/%s" % (org, rules[0]["id"]))

    code, report, out = drift(emulator, inventory, *extra)
    assert code != 0, out[-4000:]
    assert sorted(report) == ["example.org"], out[-4000:]
    assert report["example.org"] == {"access rules": "192.0.2.66", "pools": "example-org-websoft9_eu"}


def test_drift_tunnel_topology(emulator, inventory):
    """The tunnel topology: site.yml's Cloudflare side (zones, certificates, tunnels), then drift.yml checks the
    certificates and the tunnels' ingress and CNAMEs."""
    extra = ("-e", "cloudflare_topology=tunnel")
    converge(inventory, "site.yml", "--limit", "localhost,cloudflare_zone_hosts", *extra)
    code, report, out = drift(emulator, inventory, *extra)
    assert code == 0, out[-4000:]
    assert "no drift: 2 zone(s) match the inventory (tunnel topology)" in out

    account = emulator.account_id
    tunnels = dict((t["name"], t["id"]) for t in api(emulator, "GET", "/accounts/%s/cfd_tunnel?is_deleted=false" % account))
    assert sorted(tunnels) == ["example-net-w9-us-1", "example-org-w9-eu-1"]
    tid = tunnels["example-org-w9-eu-1"]
    api(emulator, "PUT", "/accounts/%s/cfd_tunnel/%s/configurations" % (account, tid),
        {"config": {"ingress": [{"hostname": "shop.example.org", "service": "http://localhost:8080"},
                                {"service": "http_status:404"}]}})
    net = zone_id(emulator, "example.net")
    cname = api(emulator, "GET", "/zones/%s/dns_records?name=www.example.net" % net)[0]
    api(emulator, "DELETE", "/zones/%s/dns_records/%s" % (net, cname["id"]))

    code, report, out = drift(emulator, inventory, *extra)
    assert code != 0, out[-4000:]
    assert report == {"example.org": {"tunnels": "w9-eu-1"}, "example.net": {"tunnels": "w9-us-1"}}, out[-4000:]


def test_drift_names_zones_it_could_not_check_and_each_zone_topology(emulator, inventory):
    """A zone whose check fails is reported as not checked (not left out), the others are still compared, and a
    mixed inventory's header names each zone's topology."""
    converge(inventory, "proxy.yml")
    all_yml = inventory / "group_vars" / "all.yml"
    all_yml.write_text(all_yml.read_text().replace(
        "    load_balancer_hostnames: [www.example.net]",
        "    load_balancer_hostnames: [www.example.net]\n    vars: {proxy_ssl_mode: bogus}").replace(
        "    load_balancer_hostnames: [app.example.org]",
        "    load_balancer_hostnames: [app.example.org]\n    vars: {cloudflare_topology: load_balancer}"))
    code, report, out = drift(emulator, inventory)
    assert code != 0, out[-4000:]
    flat = " ".join(out.split())
    assert "(topologies: load_balancer: example.org; proxy: example.net)" in flat, flat[-3000:]
    assert "NOT CHECKED: 1 zone(s) could not be checked" in flat
    assert "example.net: Validating arguments against arg spec" in flat and "bogus" in flat
    assert sorted(report) == ["example.org"] and "load balancers" in report["example.org"], report
    assert "1 of 2 zone(s) could not be checked: example.net (" in flat


def test_drift_with_a_bad_token_names_every_zone_not_checked(emulator, inventory):
    for topology in ("proxy", "tunnel"):
        proc = playbook(inventory, "drift.yml", "-e", "cloudflare_topology=" + topology, "-e", "cloudflare_api_token=bad")
        flat = " ".join(proc.stdout.split())
        assert proc.returncode != 0, flat[-3000:]
        assert "no zone could be checked (%s topology)" % topology in flat, flat[-3000:]
        assert "NOT CHECKED: 2 zone(s) could not be checked" in flat
        assert "2 of 2 zone(s) could not be checked: example.org (" in flat


def test_drift_tunnels_that_cannot_be_read_are_reported(emulator, inventory):
    extra = ("-e", "cloudflare_topology=tunnel")
    converge(inventory, "site.yml", "--limit", "localhost,cloudflare_zone_hosts", *extra)
    emulator.faults([{"kind": "error_before", "status": 403, "path": "cfd_tunnel"}])
    proc = playbook(inventory, "drift.yml", *extra)
    flat = " ".join(proc.stdout.split())
    assert proc.returncode != 0, flat[-3000:]
    assert "NOT CHECKED: 2 zone(s) could not be checked" in flat, flat[-3000:]
    assert "example.org: tunnels: A tunnel per origin host and zone" in flat
