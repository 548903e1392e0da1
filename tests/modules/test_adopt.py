"""zone_export and playbooks/adopt.yml against the in-process emulator: seed a zone through the API, export it,
converge the topology with the export -> changed=0 and zero writes (and drift.yml finds no drift)."""
from __future__ import annotations

import os
import subprocess
import sys

import yaml

from helpers import ansible_playbook, changed_total, play_recap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Settings the seed changes from Cloudflare's defaults, beyond the six the proxy role always sets.
EXTRA_SETTINGS = {"security_level": "high", "browser_cache_ttl": 7200, "brotli": "off", "nel": {"enabled": True}}
ROLE_SETTINGS = ["ssl", "always_use_https", "min_tls_version", "tls_1_3", "automatic_https_rewrites", "security_header"]


def api(emulator, method, path, body=None):
    answer = emulator.api(method, path, body)
    assert answer["success"], (method, path, answer)
    return answer["result"]


def seed(emulator, load_balancer=True, foreign_rule=False, zone="example.org", ssl="full", blocked="192.0.2.66"):
    """A zone set up by hand (not by the roles): records, settings, rules, access rules, a load balancer."""
    zid = emulator.add_zone(zone)["id"]
    for rec in ({"name": zone, "type": "A", "content": "192.0.2.10", "ttl": 3600},
                {"name": f"www.{zone}", "type": "CNAME", "content": zone, "proxied": True},
                {"name": zone, "type": "MX", "content": f"mail.{zone}", "priority": 10, "ttl": 300},
                {"name": zone, "type": "TXT", "content": "\"v=spf1 mx -all\"", "comment": "spf"},
                {"name": f"shop.{zone}", "type": "AAAA", "content": "2001:db8::7", "proxied": True,
                 "tags": ["team:shop"]},
                {"name": zone, "type": "CAA", "data": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}},
                {"name": f"_sip._tcp.{zone}", "type": "SRV",
                 "data": {"priority": 10, "weight": 5, "port": 5060, "target": f"sip.{zone}"}}):
        api(emulator, "POST", "/zones/%s/dns_records" % zid, rec)
    api(emulator, "PATCH", "/zones/%s/settings" % zid, {"items": [
        {"id": "ssl", "value": ssl}, {"id": "min_tls_version", "value": "1.2"},
        {"id": "always_use_https", "value": "on"},
        {"id": "security_header", "value": {"strict_transport_security": {
            "enabled": True, "max_age": 86400, "include_subdomains": False, "preload": False, "nosniff": True}}}]
        + [{"id": sid, "value": value} for sid, value in EXTRA_SETTINGS.items()]})
    rulesets = {
        "http_request_firewall_managed": [{"ref": "w9cf_cloudflare_managed", "description": "Cloudflare Managed Ruleset",
                                           "expression": "true", "action": "execute",
                                           "action_parameters": {"id": "efb7b8c949ac4650a09736fc376e9aee"}}],
        "http_request_firewall_custom": [{"ref": "block_admin", "description": "No admin from outside",
                                          "expression": '(http.request.uri.path contains "/wp-admin")',
                                          "action": "managed_challenge"}],
        "http_ratelimit": [{"ref": "w9cf_login_ratelimit", "description": "Rate limit logins",
                            "expression": '(http.request.uri.path in {"/login" "/wp-login.php"} and '
                                          'http.request.method in {"POST"})',
                            "action": "block",
                            "ratelimit": {"characteristics": ["ip.src", "cf.colo.id"], "period": 60,
                                          "requests_per_period": 20, "mitigation_timeout": 600}}],
        "http_request_cache_settings": [{"ref": "cache_images", "description": "Images",
                                         "expression": '(http.request.uri.path.extension in {"png" "jpg"})',
                                         "action": "set_cache_settings", "action_parameters": {"cache": True}}],
    }
    if foreign_rule:
        rulesets["http_ratelimit"][0]["description"] = "Somebody else's limit"
    for phase, rules in rulesets.items():
        api(emulator, "PUT", "/zones/%s/rulesets/phases/%s/entrypoint" % (zid, phase), {"rules": rules})
    api(emulator, "POST", "/zones/%s/firewall/access_rules/rules" % zid,
        {"mode": "block", "configuration": {"target": "ip", "value": blocked}, "notes": "abuse"})
    api(emulator, "POST", "/zones/%s/firewall/access_rules/rules" % zid,
        {"mode": "challenge", "configuration": {"target": "country", "value": "T1"}})
    if not load_balancer:
        return zid
    account = emulator.account_id
    monitor = api(emulator, "POST", "/accounts/%s/load_balancers/monitors" % account,
                  {"description": "hand-made health", "type": "https", "method": "GET", "path": "/health",
                   "header": {"Host": ["app.example.org"]}, "expected_codes": "200", "interval": 60})
    eu = api(emulator, "POST", "/accounts/%s/load_balancers/pools" % account,
             {"name": "eu", "description": "Europe", "monitor": monitor["id"],
              "origins": [{"name": "fra-1", "address": "10.232.0.10"},
                          {"name": "ams-1", "address": "10.232.0.11", "weight": 0.5}]})
    us = api(emulator, "POST", "/accounts/%s/load_balancers/pools" % account,
             {"name": "us", "monitor": monitor["id"], "origins": [{"name": "nyc-1", "address": "10.232.0.12"}]})
    api(emulator, "POST", "/zones/%s/load_balancers" % zid,
        {"name": "app.example.org", "default_pools": [eu["id"], us["id"]], "fallback_pool": us["id"],
         "proxied": True, "steering_policy": "geo", "region_pools": {"WEU": [eu["id"], us["id"]]},
         "country_pools": {"US": [us["id"], eu["id"]]}, "session_affinity": "cookie",
         "session_affinity_ttl": 3600})
    return zid


def playbook(emulator, inventory, name, *extra):
    args = ["-i", inventory] if inventory else []
    proc = ansible_playbook(args + [os.path.join(ROOT, "playbooks", name)] + list(extra),
                            {"CLOUDFLARE_API_TOKEN": emulator.token, "CLOUDFLARE_BASE_URL": emulator.base_url})
    return proc


def playbook_in(emulator, cwd, pwd, name, *extra):
    """ansible-playbook started in cwd with PWD=pwd (as a shell sets it); the environment of
    helpers.ansible_playbook, which has no cwd."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               CLOUDFLARE_API_TOKEN=emulator.token, CLOUDFLARE_BASE_URL=emulator.base_url, PWD=str(pwd))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(ROOT, "playbooks", name)]
    return subprocess.run(command + [str(a) for a in extra], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=240, check=False)


def converge(emulator, inventory, name, *extra):
    proc = playbook(emulator, inventory, name, *extra)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    return changed_total(proc.stdout), proc.stdout


def adopt(emulator, tmp_path, zones="example.org"):
    inv = tmp_path / "adopted"
    proc = playbook(emulator, None, "adopt.yml", "-e", "adopt_zones=" + zones, "-e", "adopt_dir=%s" % inv)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert "Written to %s (hosts.yml, group_vars/all/cloudflare.yml)" % inv in proc.stdout, proc.stdout[-3000:]
    (inv / "group_vars" / "all" / "local.yml").write_text(
        "cloudflare_certificate_dir: %s\n" % (tmp_path / "pki"))
    return inv, proc.stdout


def test_export_module_shape(emulator, run_module):
    seed(emulator)
    emulator.clear_requests()
    result = run_module("zone_export", {"zone": "example.org"}, check_mode=True)
    assert result["changed"] is False and not result.get("failed"), result
    log = emulator.requests()
    assert log["writes"] == 0
    assert result["counts"] == {"records": 7, "settings": 10, "rules": 4, "access_rules": 2, "load_balancers": 1,
                                "pools": 2, "monitors": 1}
    assert result["unmanaged"] == []
    out = result["vars"]
    assert out["cloudflare_topology"] == "load_balancer"
    zone = out["cloudflare_zones"][0]
    assert zone["name"] == "example.org" and zone["load_balancer_hostnames"] == ["app.example.org"]
    by = dict(((r["name"], r["type"]), r) for r in zone["records"])
    assert by[("@", "MX")]["priority"] == 10
    assert by[("www", "CNAME")]["proxied"] is True
    assert by[("shop", "AAAA")]["tags"] == ["team:shop"]
    assert by[("@", "TXT")]["content"] == "v=spf1 mx -all"  # one quoted string: unquoted (compared by meaning)
    assert "ttl" not in by[("www", "CNAME")] and by[("@", "A")]["ttl"] == 3600  # a proxied record's ttl is always 1
    assert by[("@", "TXT")]["ttl"] == 1  # unproxied: managed, automatic included
    assert out["proxy_zone_settings"]["ssl"] == "full"
    # the role's six first, then every other setting that is not at its default (here: the seed's)
    assert list(out["proxy_zone_settings"]) == ROLE_SETTINGS + sorted(EXTRA_SETTINGS)
    for sid, value in EXTRA_SETTINGS.items():
        assert out["proxy_zone_settings"][sid] == value, sid
    assert out["proxy_waf_managed"] is True and out["proxy_rules_purge"] is True
    assert out["proxy_ratelimit_paths"] == ["/login", "/wp-login.php"] and out["proxy_ratelimit_requests"] == 20
    assert [r["ref"] for r in out["proxy_waf_custom_rules"]] == ["block_admin"]
    assert out["proxy_ip_access_rules"] == [{"value": "T1", "target": "country", "mode": "challenge"},
                                            {"value": "192.0.2.66", "target": "ip", "mode": "block",
                                             "notes": "abuse"}]
    assert [p["name"] for p in out["load_balancer_pools"]] == ["eu", "us"]
    assert out["load_balancer_fallback_pool"] == "us"
    assert out["load_balancer_country_pools"] == {"US": ["us", "eu"]}
    assert out["load_balancer_monitor_description"] == "hand-made health"
    hosts = result["inventory"]["all"]["children"]["websoft9"]["children"]["eu"]["hosts"]
    assert hosts["ams-1"] == {"load_balancer_origin_address": "10.232.0.11", "load_balancer_origin_weight": 0.5,
                              "load_balancer_origin_enabled": True}


def test_adopt_round_trip_load_balancer(emulator, tmp_path):
    """The written YAML reads well (keys in the roles' order, no ttl on proxied records, TXT unquoted, localhost in hosts.yml)
    and still converges with no change, also with --limit 'localhost,cloudflare_zone_hosts'."""
    seed(emulator)
    inv, out = adopt(emulator, tmp_path)
    assert "records=7" in out.replace("\n", " "), out[-2000:]
    exported = yaml.safe_load((inv / "group_vars" / "all" / "cloudflare.yml").read_text())
    assert list(exported) == ["cloudflare_topology", "cloudflare_zones"]
    zone = exported["cloudflare_zones"][0]
    assert list(zone) == ["name", "records", "load_balancer_hostnames", "vars"]
    assert zone["name"] == "example.org"
    by = dict(((r["name"], r["type"]), r) for r in zone["records"])
    assert by[("@", "TXT")]["content"] == "v=spf1 mx -all"
    assert "ttl" not in by[("www", "CNAME")] and by[("@", "TXT")]["ttl"] == 1 and by[("@", "CAA")]["ttl"] == 1
    assert by[("@", "A")]["ttl"] == 3600 and by[("@", "MX")]["ttl"] == 300
    assert list(by[("@", "MX")]) == ["name", "type", "content", "priority", "ttl"]
    assert [(r["name"], r["type"]) for r in zone["records"]] == sorted((r["name"], r["type"]) for r in zone["records"])
    hosts = yaml.safe_load((inv / "hosts.yml").read_text())
    assert list(hosts["all"]) == ["hosts", "children"]
    assert hosts["all"]["hosts"] == {"localhost": {"ansible_connection": "local",
                                                   "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}
    emulator.clear_requests()
    changed, out = converge(emulator, inv, "load_balancer.yml", "--limit", "localhost,cloudflare_zone_hosts")
    assert changed == 0, out[-5000:]
    assert play_recap(out)["cloudflare-zone-example.org"]["ok"] > 10, out[-3000:]
    log = emulator.requests()
    assert log["writes"] == 0, log["by_route"]
    proc = playbook(emulator, inv, "drift.yml", "-e", "cloudflare_topology=load_balancer")
    assert proc.returncode == 0 and "no drift" in proc.stdout, proc.stdout[-4000:]
    assert emulator.requests()["writes"] == 0


def test_adopt_round_trip_proxy_with_foreign_rule(emulator, tmp_path):
    """A rule the role cannot make is listed as unmanaged and kept (purge off): still zero changes."""
    seed(emulator, load_balancer=False, foreign_rule=True)
    inv, out = adopt(emulator, tmp_path)
    assert "http_ratelimit: 1 rule(s) that are not the role's login rate limit" in out
    exported = yaml.safe_load((inv / "group_vars" / "all" / "cloudflare.yml").read_text())
    assert exported["cloudflare_topology"] == "proxy"
    assert exported["cloudflare_zones"][0]["vars"]["proxy_rules_purge"] is False
    emulator.clear_requests()
    changed, out = converge(emulator, inv, "proxy.yml")
    assert changed == 0, out[-5000:]
    assert emulator.requests()["writes"] == 0, emulator.requests()["by_route"]


def test_adopt_two_zones_each_with_its_own_variables(emulator, tmp_path):
    """Two zones that differ (topology, SSL mode, access rules) in one inventory: each zone's role variables are
    exported under its own entry of cloudflare_zones, so converging both topologies changes nothing, and drift
    after a change behind its back names only the zone that changed."""
    seed(emulator)
    seed(emulator, load_balancer=False, zone="example.net", ssl="strict", blocked="198.51.100.7")
    inv, out = adopt(emulator, tmp_path, zones="example.org,Example.NET")
    exported = yaml.safe_load((inv / "group_vars" / "all" / "cloudflare.yml").read_text())
    assert exported["cloudflare_topology"] == "load_balancer"
    org, net = exported["cloudflare_zones"]
    assert (org["name"], net["name"]) == ("example.org", "example.net")
    assert "cloudflare_topology" not in org["vars"] and net["vars"]["cloudflare_topology"] == "proxy"
    assert org["vars"]["proxy_zone_settings"]["ssl"] == "full" and net["vars"]["proxy_zone_settings"]["ssl"] == "strict"
    assert [r["value"] for r in net["vars"]["proxy_ip_access_rules"]] == ["T1", "198.51.100.7"]
    assert net["vars"]["load_balancer_pools"] == [] and len(org["vars"]["load_balancer_pools"]) == 2
    assert not [k for k in exported if k.startswith(("proxy_", "load_balancer_"))]
    assert sorted(yaml.safe_load((inv / "hosts.yml").read_text())["all"]["children"]["websoft9"]["children"]) == [
        "eu", "us"]

    emulator.clear_requests()
    for name in ("proxy.yml", "load_balancer.yml"):
        changed, out = converge(emulator, inv, name)
        assert changed == 0, out[-5000:]
        if name == "load_balancer.yml":  # example.net says cloudflare_topology: proxy, so it is left alone
            recap = play_recap(out)
            assert recap["cloudflare-zone-example.net"] == {"ok": 1, "changed": 0, "unreachable": 0, "failed": 0}, recap
            assert "example.net is in the proxy topology (cloudflare_topology of the zone); load_balancer.yml leaves" \
                   " it alone" in out.replace("\n", " "), out[-3000:]
            assert recap["cloudflare-zone-example.org"]["ok"] > 10, recap
    assert emulator.requests()["writes"] == 0, emulator.requests()["by_route"]

    zid = api(emulator, "GET", "/zones?name=example.net")[0]["id"]
    api(emulator, "PATCH", "/zones/%s/settings/ssl" % zid, {"value": "full"})
    emulator.clear_requests()
    proc = playbook(emulator, inv, "drift.yml")
    assert proc.returncode != 0, proc.stdout[-4000:]
    assert "drift in 1 of 2 zone(s): example.net (settings)" in proc.stdout, proc.stdout[-4000:]
    assert emulator.requests()["writes"] == 0

    # a setting beyond the role's six, put back to Cloudflare's default behind the inventory's back: drift sees it
    zid = api(emulator, "GET", "/zones?name=example.org")[0]["id"]
    api(emulator, "PATCH", "/zones/%s/settings/security_level" % zid, {"value": "medium"})
    proc = playbook(emulator, inv, "drift.yml")
    assert proc.returncode != 0, proc.stdout[-4000:]
    assert "drift in 2 of 2 zone(s): example.org (settings); example.net (settings)" in proc.stdout, proc.stdout[-4000:]

    # an automatic TTL (1) is part of the export too: a TTL set behind the inventory's back is drift
    txt = api(emulator, "GET", "/zones/%s/dns_records?type=TXT&name=example.org" % zid)[0]
    api(emulator, "PATCH", "/zones/%s/dns_records/%s" % (zid, txt["id"]), {"ttl": 300})
    proc = playbook(emulator, inv, "drift.yml")
    assert "example.org (settings, records)" in proc.stdout, proc.stdout[-4000:]


def test_export_settings_defaults_editable_and_transient(emulator, run_module, monkeypatch):
    """A fresh zone exports only the role's six settings (the defaults table matches the API's defaults); a
    setting the plan does not let change is not exported, nor development_mode (listed as unmanaged when on)."""
    emulator.add_zone("fresh.example")
    result = run_module("zone_export", {"zone": "fresh.example"})
    assert list(result["vars"]["proxy_zone_settings"]) == ROLE_SETTINGS, result["vars"]["proxy_zone_settings"]
    assert result["counts"]["settings"] == 6 and result["unmanaged"] == []

    from cfemu import zones

    zid = seed(emulator, load_balancer=False)
    api(emulator, "PATCH", "/zones/%s/settings/development_mode" % zid, {"value": "on"})
    view = zones._setting_view

    def read_only(zone, setting_id):
        item = view(zone, setting_id)
        if setting_id in ("security_level", "ssl"):
            item["editable"] = False
        return item

    monkeypatch.setattr(zones, "_setting_view", read_only)
    result = run_module("zone_export", {"zone": "example.org"})
    settings = result["vars"]["proxy_zone_settings"]
    assert "security_level" not in settings and "development_mode" not in settings, settings
    assert settings["ssl"] == "full" and settings["browser_cache_ttl"] == 7200, settings  # the role's six stay
    assert result["unmanaged"] == ["zone setting development_mode is on: not exported (it turns itself off after "
                                   "three hours)"]


def test_adopt_relative_dir_is_taken_from_the_current_directory(emulator, tmp_path):
    """-e adopt_dir=inventory/adopted (as the README shows) is written where ansible-playbook was started, not in
    the collection's playbooks directory; the default is inventory/adopted-<zones> there; without PWD a relative
    adopt_dir is refused before anything is read."""
    seed(emulator, load_balancer=False)
    seed(emulator, load_balancer=False, zone="example.net")
    work = tmp_path / "work"
    work.mkdir()
    proc = playbook_in(emulator, work, work, "adopt.yml", "-e", "adopt_zones=example.org", "-e",
                       "adopt_dir=inventory/adopted")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    written = work / "inventory" / "adopted"
    assert (written / "hosts.yml").is_file() and (written / "group_vars" / "all" / "cloudflare.yml").is_file()
    assert "Written to %s (hosts.yml" % written in proc.stdout, proc.stdout[-3000:]
    assert not os.path.exists(os.path.join(ROOT, "playbooks", "inventory", "adopted"))

    proc = playbook_in(emulator, work, work, "adopt.yml", "-e", "adopt_zones=example.org,example.net")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    default = work / "inventory" / "adopted-example.org_example.net"
    assert (default / "hosts.yml").is_file(), proc.stdout[-3000:]
    assert "Written to %s (hosts.yml" % default in proc.stdout, proc.stdout[-3000:]
    assert not os.path.exists(os.path.join(ROOT, "playbooks", "inventory", "adopted-example.org_example.net"))

    emulator.clear_requests()
    proc = playbook_in(emulator, work, "", "adopt.yml", "-e", "adopt_zones=example.org", "-e", "adopt_dir=elsewhere")
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "adopt_dir elsewhere is relative (or empty) and PWD is not set" in proc.stdout.replace("\n", " ")
    assert "give an absolute path" in proc.stdout and not (work / "elsewhere").exists()
    assert emulator.requests()["total"] == 0


def test_adopt_refuses_an_existing_inventory_unless_forced(emulator, tmp_path):
    """An inventory already at adopt_dir is not written over (nor is anything read); with adopt_force the two
    files adopt writes are replaced, the old ones kept as backups, and the other files there are named."""
    seed(emulator, load_balancer=False)
    mine = tmp_path / "mine"
    (mine / "group_vars").mkdir(parents=True)
    (mine / "hosts.yml").write_text("all: {hosts: {w9-1: {}}}\n")
    (mine / "group_vars" / "all.yml").write_text("cloudflare_zones: [{name: example.org}]\n")
    emulator.clear_requests()
    proc = playbook(emulator, None, "adopt.yml", "-e", "adopt_zones=example.org", "-e", "adopt_dir=%s" % mine)
    assert proc.returncode != 0, proc.stdout[-3000:]
    text = proc.stdout.replace("\n", " ")
    assert "%s already exists and is not empty (it holds group_vars, hosts.yml): adopt.yml does not write over an " \
           "inventory" % mine in text, proc.stdout[-3000:]
    assert "-e adopt_force=true" in text
    assert emulator.requests()["total"] == 0
    assert (mine / "hosts.yml").read_text() == "all: {hosts: {w9-1: {}}}\n"
    assert sorted(p.name for p in mine.rglob("*")) == ["all.yml", "group_vars", "hosts.yml"]

    inv, out = adopt(emulator, tmp_path)
    zid = api(emulator, "GET", "/zones?name=example.org")[0]["id"]
    api(emulator, "PATCH", "/zones/%s/settings/security_level" % zid, {"value": "under_attack"})
    (inv / "hosts.yml").write_text((inv / "hosts.yml").read_text() + "# edited by hand\n")
    proc = playbook(emulator, None, "adopt.yml", "-e", "adopt_zones=example.org", "-e", "adopt_dir=%s" % inv)
    assert proc.returncode != 0 and "already exists and is not empty" in proc.stdout, proc.stdout[-3000:]
    proc = playbook(emulator, None, "adopt.yml", "-e", "adopt_zones=example.org", "-e", "adopt_dir=%s" % inv,
                    "-e", "adopt_force=true")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    exported = yaml.safe_load((inv / "group_vars" / "all" / "cloudflare.yml").read_text())
    assert exported["cloudflare_zones"][0]["vars"]["proxy_zone_settings"]["security_level"] == "under_attack"
    assert "# edited by hand" not in (inv / "hosts.yml").read_text()
    backups = sorted(p.relative_to(inv).as_posix().split(".")[0] for p in inv.rglob("*~"))
    assert backups == ["group_vars/all/cloudflare", "hosts"], list(inv.rglob("*"))
    assert "# edited by hand" in list(inv.glob("hosts.yml.*~"))[0].read_text()
    assert (inv / "group_vars" / "all" / "local.yml").is_file()
    assert "also in that directory, and read with it: group_vars/all/local.yml" in proc.stdout.replace("\n", " ")
