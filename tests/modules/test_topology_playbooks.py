"""playbooks/proxy.yml and playbooks/load_balancer.yml against the in-process emulator, twice.

The inventory has the origin hosts (their hostvars feed the roles) but no play contacts them: every API task runs
on localhost. The first run builds the zone, the second must report changed=0 and send no write request.
"""
from __future__ import annotations

import os

import pytest

from helpers import ansible_playbook, changed_total

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZONE_FILE = os.path.join(os.path.dirname(ROOT), "shared", "data", "zones", "example.org.zone")

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
            w9-eu-2: {ansible_host: 10.232.0.11, origin_domains: [blog.example.org, app.example.org]}
        websoft9_us:
          hosts:
            w9-us-1:
              ansible_host: 10.232.0.12
              proxy_origin_address6: "2001:db8:12::0:1"
              origin_domains: [site.example.org, app.example.org, unrelated.example.net]
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
proxy_ip_access_rules:
  - {{value: 192.0.2.66, mode: block, notes: abuse}}
  - {{value: T1, mode: managed_challenge}}
load_balancer_pools:
  - {{group: websoft9_eu, regions: [WEU, EEU], countries: [DE, FR]}}
  - {{group: websoft9_us, regions: [ENAM, WNAM], countries: [US]}}
"""


@pytest.fixture
def inventory(emulator, tmp_path):
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text(HOSTS)
    zone_file = ZONE_FILE
    if not os.path.exists(zone_file):  # a clone without ../shared: a small stand-in zone file
        zone_file = str(tmp_path / "example.org.zone")
        with open(zone_file, "w") as fh:
            fh.write("$ORIGIN example.org.\n$TTL 3600\n@ IN A 192.0.2.10\nwww IN CNAME example.org.\n"
                     "wordpress 1 IN A 192.0.2.12 ; cf_tags=cf-proxied:true\n")
    (inv / "group_vars" / "all.yml").write_text(GROUP_VARS.format(
        token=emulator.token, base=emulator.base_url, pki=tmp_path / "pki", zone_file=zone_file))
    return inv


def run(inventory, playbook, *extra):
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", playbook)] + list(extra), timeout=180)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    return changed_total(proc.stdout), proc.stdout


def result(emulator, path):
    body = emulator.api("GET", path)
    assert body["success"], body
    return body["result"]


def test_proxy_playbook_twice(emulator, inventory, tmp_path):
    changed, out = run(inventory, "proxy.yml")
    assert changed > 0
    zone = result(emulator, "/zones?name=example.org")[0]
    zid = zone["id"]
    settings = {s["id"]: s["value"] for s in result(emulator, "/zones/%s/settings" % zid)}
    assert settings["ssl"] == "strict"
    assert settings["always_use_https"] == "on"
    assert settings["min_tls_version"] == "1.2"
    hsts = settings["security_header"]["strict_transport_security"]
    assert hsts["enabled"] is True and hsts["max_age"] == 31536000

    records = result(emulator, "/zones/%s/dns_records?per_page=5000" % zid)
    by_name = {}
    for r in records:
        by_name.setdefault((r["name"], r["type"]), []).append(r)
    assert [r["content"] for r in by_name[("shop.example.org", "A")]] == ["10.232.0.10"]
    assert by_name[("shop.example.org", "A")][0]["proxied"] is True
    assert sorted(r["content"] for r in by_name[("app.example.org", "A")]) == ["10.232.0.10", "10.232.0.11",
                                                                               "10.232.0.12"]
    assert by_name[("site.example.org", "AAAA")][0]["content"] == "2001:db8:12::1"
    assert ("unrelated.example.net", "A") not in by_name
    assert ("extra.example.org", "TXT") in by_name
    if os.path.exists(ZONE_FILE):
        assert len(records) > 400
        assert by_name[("wordpress.example.org", "A")][0]["proxied"] is True

    refs = {}
    for phase in ("http_request_firewall_managed", "http_request_firewall_custom", "http_ratelimit",
                  "http_request_cache_settings"):
        refs[phase] = [r["ref"] for r in result(emulator, "/zones/%s/rulesets/phases/%s/entrypoint" % (zid, phase))
                       ["rules"]]
    assert refs == {"http_request_firewall_managed": ["w9cf_cloudflare_managed"],
                    "http_request_firewall_custom": ["w9cf_block_xmlrpc", "w9cf_block_secrets"],
                    "http_ratelimit": ["w9cf_login_ratelimit"],
                    "http_request_cache_settings": ["w9cf_cache_static"]}
    rules = result(emulator, "/zones/%s/firewall/access_rules/rules" % zid)
    assert sorted((r["mode"], r["configuration"]["value"]) for r in rules) == [
        ("block", "192.0.2.66"), ("managed_challenge", "T1")]
    certificate = (tmp_path / "pki" / "example.org.origin.pem").read_text()
    assert "BEGIN CERTIFICATE" in certificate
    assert oct((tmp_path / "pki" / "example.org.origin.key").stat().st_mode & 0o777) == "0o600"

    emulator.clear_requests()
    changed, out = run(inventory, "proxy.yml")
    assert changed == 0, out[-3000:]
    assert emulator.requests()["writes"] == 0


def test_load_balancer_playbook_twice(emulator, inventory):
    changed, out = run(inventory, "load_balancer.yml")
    assert changed > 0
    account = emulator.account_id
    monitors = result(emulator, "/accounts/%s/load_balancers/monitors" % account)
    assert [(m["description"], m["type"], m["path"], m["header"]) for m in monitors] == [
        ("example.org websoft9 origin health", "https", "/.well-known/origin-health", {"Host": ["app.example.org"]})]
    pools = {p["name"]: p for p in result(emulator, "/accounts/%s/load_balancers/pools" % account)}
    assert sorted(pools) == ["example-org-websoft9_eu", "example-org-websoft9_us"]
    assert [o["address"] for o in pools["example-org-websoft9_eu"]["origins"]] == ["10.232.0.10", "10.232.0.11"]
    assert pools["example-org-websoft9_us"]["monitor"] == monitors[0]["id"]
    zid = result(emulator, "/zones?name=example.org")[0]["id"]
    lbs = result(emulator, "/zones/%s/load_balancers" % zid)
    assert [lb["name"] for lb in lbs] == ["app.example.org"]
    lb = lbs[0]
    eu, us = pools["example-org-websoft9_eu"]["id"], pools["example-org-websoft9_us"]["id"]
    assert lb["default_pools"] == [eu, us] and lb["fallback_pool"] == us
    assert lb["proxied"] is True and lb["steering_policy"] == "geo" and lb["session_affinity"] == "cookie"
    assert lb["country_pools"] == {"DE": [eu, us], "FR": [eu, us], "US": [us, eu]}
    assert lb["region_pools"]["ENAM"] == [us, eu]
    # no record for app.example.org (its load balancer answers), but the app domains without one keep theirs
    assert result(emulator, "/zones/%s/dns_records?name=app.example.org" % zid) == []
    for name, address in (("shop", "10.232.0.10"), ("blog", "10.232.0.11"), ("site", "10.232.0.12")):
        records = result(emulator, "/zones/%s/dns_records?name=%s.example.org&type=A" % (zid, name))
        assert [(r["content"], r["proxied"]) for r in records] == [(address, True)], name
    assert emulator.control("POST", "/lb/steer", {"hostname": "app.example.org", "country": "US"})["pool"] == us
    assert emulator.control("POST", "/lb/steer", {"hostname": "app.example.org", "country": "DE"})["pool"] == eu

    emulator.clear_requests()
    changed, out = run(inventory, "load_balancer.yml")
    assert changed == 0, out[-3000:]
    assert emulator.requests()["writes"] == 0


def test_tunnel_playbook_cloudflare_side(emulator, inventory):
    """tunnel.yml on the controller only (--limit localhost): a tunnel per origin host, ingress, CNAMEs."""
    changed, out = run(inventory, "tunnel.yml", "--limit", "localhost")
    assert changed > 0
    tunnels = {t["name"]: t for t in result(emulator, "/accounts/%s/cfd_tunnel?is_deleted=false" % emulator.account_id)}
    assert sorted(tunnels) == ["example-org-w9-eu-1", "example-org-w9-eu-2", "example-org-w9-us-1"]
    tid = tunnels["example-org-w9-eu-1"]["id"]
    config = result(emulator, "/accounts/%s/cfd_tunnel/%s/configurations" % (emulator.account_id, tid))["config"]
    assert [r.get("hostname") for r in config["ingress"]] == ["shop.example.org", "app.example.org", None]
    other = tunnels["example-org-w9-eu-2"]["id"]
    config2 = result(emulator, "/accounts/%s/cfd_tunnel/%s/configurations" % (emulator.account_id, other))["config"]
    # app.example.org is on every host: its tunnel hostname goes to the first host only
    assert [r.get("hostname") for r in config2["ingress"]] == ["blog.example.org", None]
    assert config["ingress"][0]["service"] == "https://localhost:443"
    assert config["ingress"][0]["originRequest"]["originServerName"] == "shop.example.org"
    zid = result(emulator, "/zones?name=example.org")[0]["id"]
    cname = result(emulator, "/zones/%s/dns_records?name=shop.example.org" % zid)
    assert [(r["type"], r["content"], r["proxied"]) for r in cname] == [("CNAME", tid + ".cfargotunnel.com", True)]
    assert "token" not in out.lower() or "eyJ" not in out  # tokens stay out of the output (no_log)

    emulator.clear_requests()
    changed, out = run(inventory, "tunnel.yml", "--limit", "localhost")
    assert changed == 0, out[-3000:]
    assert emulator.requests()["writes"] == 0


TWO_ZONES = """
# meant for the origins: the zone hosts must not become (this sudo would fail)
ansible_become: true
ansible_become_exe: /nonexistent/sudo
ansible_become_user: nobody
cloudflare_api_token: "{token}"
cloudflare_api_base_url: "{base}"
cloudflare_certificate_dir: "{pki}"
cloudflare_topology: load_balancer
cloudflare_zones:
  - name: example.org
    load_balancer_hostnames: [app]
    vars: {{proxy_certificate_dir: "{pki}/org"}}
  - name: example.net
    vars:
      cloudflare_topology: proxy
      proxy_ssl_mode: full
      proxy_origin_certificate: false
      proxy_ip_access_rules: [{{value: 198.51.100.7, mode: challenge}}]
proxy_ip_access_rules: [{{value: 192.0.2.66, mode: block}}]
load_balancer_pools:
  - {{group: websoft9_eu}}
  - {{group: websoft9_us}}
"""


def test_site_zones_with_their_own_variables(emulator, inventory, tmp_path):
    """site.yml (Cloudflare side: --limit the controller hosts) with a zone whose vars set another topology, SSL
    mode, certificate choice and access rules: each zone gets its own, none leaks into the other."""
    (inventory / "group_vars" / "all.yml").write_text(TWO_ZONES.format(
        token=emulator.token, base=emulator.base_url, pki=tmp_path / "pki"))
    limit = ("--limit", "localhost,cloudflare_zone_hosts")
    changed, out = run(inventory, "site.yml", *limit)
    assert changed > 0
    org = result(emulator, "/zones?name=example.org")[0]["id"]
    net = result(emulator, "/zones?name=example.net")[0]["id"]
    assert result(emulator, "/zones/%s/settings/ssl" % org)["value"] == "strict"
    assert result(emulator, "/zones/%s/settings/ssl" % net)["value"] == "full"
    rules = dict((z, sorted(r["configuration"]["value"] for r in
                            result(emulator, "/zones/%s/firewall/access_rules/rules" % zid)))
                 for z, zid in (("org", org), ("net", net)))
    assert rules == {"org": ["192.0.2.66"], "net": ["198.51.100.7"]}
    assert [lb["name"] for lb in result(emulator, "/zones/%s/load_balancers" % org)] == ["app.example.org"]
    assert result(emulator, "/zones/%s/load_balancers" % net) == []
    # proxy topology in example.net: the app record of w9-us-1's domain there, straight to the origin
    app = result(emulator, "/zones/%s/dns_records?name=unrelated.example.net" % net)
    expected = [("A", "10.232.0.12", True), ("AAAA", "2001:db8:12::1", True)]
    assert sorted((r["type"], r["content"], r["proxied"]) for r in app) == expected
    assert result(emulator, "/zones/%s/dns_records?name=app.example.org" % org) == []
    assert (tmp_path / "pki" / "org" / "example.org.origin.pem").is_file()  # the zone's proxy_certificate_dir
    # a relative load balancer hostname is made fully qualified, for the monitor's Host header too
    monitors = result(emulator, "/accounts/%s/load_balancers/monitors" % emulator.account_id)
    assert [m["header"]["Host"] for m in monitors] == [["app.example.org"]]
    assert not (tmp_path / "pki" / "example.net.origin.pem").exists()

    emulator.clear_requests()
    changed, out = run(inventory, "site.yml", *limit)
    assert changed == 0, out[-3000:]
    assert emulator.requests()["writes"] == 0


def test_zones_are_checked_before_any_request(emulator, inventory, tmp_path):
    """Every problem of cloudflare_zones is named, by zone and key, and nothing is sent."""
    (inventory / "group_vars" / "all.yml").write_text(
        'cloudflare_api_token: "%s"\ncloudflare_api_base_url: "%s"\ncloudflare_zones:\n'
        '  - {name: example.org, vars: {origin_firewall: false, proxy_zone: other.org, proxy_ssl_mod: full}}\n'
        '  - {name: "Example.org."}\n  - {records: []}\n'
        '  - {name: example.net, record: [], vars: {cloudflare_topology: tunnel}}\n'
        '  - {name: example.com, records: {name: www}, vars: [proxy_ssl_mode]}\n'
        '  - {name: example.info, vars: {proxy_records: [], load_balancer_hostnames: [www]}}\n'
        % (emulator.token, emulator.base_url))
    emulator.clear_requests()
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", "proxy.yml")])
    assert proc.returncode != 0
    out = " ".join(proc.stdout.split())
    for problem in ("example.org: vars.origin_firewall is not a variable of the proxy or load_balancer role",
                    "example.org: vars.proxy_zone is the zone itself (name)",
                    "example.org: vars.proxy_ssl_mod is not a variable of the proxy or load_balancer role "
                    "(did you mean proxy_ssl_mode?)",
                    "example.org is listed twice",
                    "cloudflare_zones[2] has no name",
                    "example.net: unknown key record (a zone takes name, zone_file, records, load_balancer_hostnames, vars)",
                    "example.net: vars.cloudflare_topology must be proxy or load_balancer (got tunnel)",
                    "example.com: records must be a list",
                    "example.com: vars must be a mapping of role variables",
                    "example.info: vars.proxy_records is the zone's own key records (next to name)",
                    "example.info: vars.load_balancer_hostnames is the zone's own key load_balancer_hostnames"):
        assert problem in out, (problem, out[-3000:])
    assert "non-empty list" not in out  # only what is wrong is said
    assert emulator.requests()["total"] == 0

    (inventory / "group_vars" / "all.yml").write_text(
        'cloudflare_topology: lb\ncloudflare_zones: [{name: example.org}]\n')
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", "load_balancer.yml")])
    assert proc.returncode != 0
    assert "cloudflare_topology must be proxy, load_balancer or tunnel (got lb)" in " ".join(proc.stdout.split())
    assert emulator.requests()["total"] == 0


def test_load_balancer_zone_without_pools_fails_before_any_write(emulator, inventory):
    (inventory / "group_vars" / "all.yml").write_text(
        'cloudflare_api_token: "%s"\ncloudflare_api_base_url: "%s"\ncloudflare_zones:\n'
        '  - {name: example.org, vars: {load_balancer_pools: [{group: nowhere}], load_balancer_fallback_pool: x}}\n'
        '  - {name: example.net, vars: {load_balancer_pools: []}}\n'
        '  - {name: example.com, load_balancer_hostnames: [app.example.net, www]}\n' % (emulator.token, emulator.base_url))
    emulator.clear_requests()
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", "load_balancer.yml")])
    assert proc.returncode != 0
    out = " ".join(proc.stdout.split())
    assert "websoft9.cloudflare.load_balancer (example.org): pool example-org-nowhere: inventory group nowhere has " \
           "no hosts; no hostname in example.org: set load_balancer_hostnames, or origin_domains on the hosts of the " \
           "pools; load_balancer_fallback_pool x is not a pool of load_balancer_pools (example-org-nowhere)" in out, \
        out[-3000:]
    assert "websoft9.cloudflare.load_balancer (example.net): load_balancer_pools is empty" in out
    assert "; load balancer hostname app.example.net is not in example.com (give app or app.example.com)" in out
    assert emulator.requests()["total"] == 0


def test_topology_playbooks_leave_zones_of_the_other_topology_alone(emulator, inventory, tmp_path):
    """load_balancer.yml on an inventory whose cloudflare_topology is proxy builds nothing, and says why."""
    (inventory / "group_vars" / "all.yml").write_text(TWO_ZONES.format(
        token=emulator.token, base=emulator.base_url, pki=tmp_path / "pki").replace(
        "cloudflare_topology: load_balancer", "cloudflare_topology: proxy").replace(
        "cloudflare_topology: proxy\n      proxy_ssl_mode", "cloudflare_topology: load_balancer\n      proxy_ssl_mode"))
    emulator.clear_requests()
    changed, out = run(inventory, "proxy.yml")
    assert changed > 0
    flat = " ".join(out.split())
    assert "example.net is in the load_balancer topology (cloudflare_topology of the zone); proxy.yml leaves it " \
           "alone" in flat
    assert [z["name"] for z in result(emulator, "/zones")] == ["example.org"]


def test_switch_from_load_balancer_to_proxy(emulator, inventory):
    """A load balancer answers before a record of its name: going back to the proxy topology deletes the role's
    load balancer at the app domain (drift sees it first) and keeps, with a message, one made by hand."""
    run(inventory, "load_balancer.yml")
    zid = result(emulator, "/zones?name=example.org")[0]["id"]
    lbs = result(emulator, "/zones/%s/load_balancers" % zid)
    assert [lb["name"] for lb in lbs] == ["app.example.org"]
    pool = lbs[0]["default_pools"][0]
    by_hand = {"name": "shop.example.org", "default_pools": [pool], "fallback_pool": pool, "description": "by hand"}
    emulator.api("POST", "/zones/%s/load_balancers" % zid, by_hand)
    emulator.clear_requests()
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", "drift.yml")])
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "load balancers: 2 (delete app.example.org, hides its app record: shop.example.org)" in proc.stdout
    assert emulator.requests()["writes"] == 0

    changed, out = run(inventory, "proxy.yml")
    assert changed > 0
    assert [lb["name"] for lb in result(emulator, "/zones/%s/load_balancers" % zid)] == ["shop.example.org"]
    assert "shop.example.org in example.org is a load balancer whose description is not 'websoft9.cloudflare'" in \
        " ".join(out.split())
    app = result(emulator, "/zones/%s/dns_records?name=app.example.org&type=A" % zid)
    assert sorted(r["content"] for r in app) == ["10.232.0.10", "10.232.0.11", "10.232.0.12"]

    emulator.clear_requests()
    changed, out = run(inventory, "proxy.yml")
    assert changed == 0, out[-3000:]
    assert emulator.requests()["writes"] == 0
    # the kept one still hides app records: drift says so
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", "drift.yml")])
    assert proc.returncode != 0 and "load balancers: 1 (hides its app record: shop.example.org)" in proc.stdout, \
        proc.stdout[-3000:]


def test_origins_need_their_zone_prepared_in_the_same_run(emulator, inventory):
    """site.yml --limit without the controller hosts: the origin would get no certificate, so it stops, saying why
    (before connecting to the origin)."""
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", "site.yml"), "--limit", "localhost,w9-eu-1"])
    assert proc.returncode != 0
    out = " ".join(proc.stdout.split())
    assert "w9-eu-1 is in zone example.org (cloudflare_origin_zone, else the first of cloudflare_zones), but its zone " \
           "and certificate were not prepared in this run" in out, out[-3000:]
    assert "UNREACHABLE" not in proc.stdout
    proc = ansible_playbook(["-i", inventory, os.path.join(ROOT, "playbooks", "site.yml"), "--limit",
                             "localhost,cloudflare_zone_hosts,w9-eu-1", "-e", "cloudflare_origin_zone=exmaple.org"])
    assert "but no zone of cloudflare_zones has that name" in " ".join(proc.stdout.split())


def test_tunnel_zone_names_are_normalised(emulator, inventory):
    (inventory / "group_vars" / "all.yml").write_text(
        'cloudflare_api_token: "%s"\ncloudflare_api_base_url: "%s"\ncloudflare_zones: [{name: " Example.ORG. "}]\n'
        % (emulator.token, emulator.base_url))
    changed, out = run(inventory, "tunnel.yml", "--limit", "localhost")
    tunnels = sorted(t["name"] for t in result(emulator, "/accounts/%s/cfd_tunnel?is_deleted=false" % emulator.account_id))
    assert tunnels == ["example-org-w9-eu-1", "example-org-w9-eu-2", "example-org-w9-us-1"]


def test_proxy_role_goes_on_without_load_balancer_read(emulator, inventory):
    """A token that cannot read load balancers (HTTP 403): the proxy topology still converges, and says why it did
    not look for load balancers at app domains."""
    emulator.faults([{"kind": "error_before", "status": 403, "method": "GET", "path": "/load_balancers$"}])
    changed, out = run(inventory, "proxy.yml")
    assert changed > 0
    assert "The API token cannot read the load balancers of example.org (HTTP 403)" in " ".join(out.split())
