#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_export
short_description: Export a live Cloudflare zone as the variables of the proxy and load_balancer roles
version_added: 0.1.0
description:
  - Reads a zone as it is (DNS records, the TLS/HTTPS settings the proxy role manages, Authenticated Origin
    Pulls, the rules of the four phases the proxy role owns, zone IP access rules, and the zone's load balancers
    with their pools and monitor) and returns inventory variables in the exact shape the
    M(websoft9.cloudflare.proxy) and M(websoft9.cloudflare.load_balancer) roles and C(playbooks/proxy.yml) /
    C(playbooks/load_balancer.yml) take, so that running the topology with them changes nothing.
  - Also returns an inventory of the pools' origins (one group per pool, one host per origin), which the
    load_balancer role builds the pools from.
  - Read only, never writes. What the roles cannot express is listed in RV(unmanaged) and left alone by them
    (for example rules the roles do not make are kept because C(proxy_rules_purge) is then false).
  - "Requests: the zone lookup, the records (paged), the settings, the origin pulls setting, one entrypoint per
    phase, the access rules (paged), and when the zone has load balancers the account's pools and monitors."
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone's name or id.
    type: str
    required: true
    aliases: [name, zone_id]
  origin_certificate:
    description:
      - The value of C(proxy_origin_certificate) in the export. An Origin CA private key cannot be read back,
        so the default V(false) keeps the export free of writes; V(true) makes the role issue a certificate for
        the origins on the next run.
    type: bool
    default: false
notes:
  - Read only (changed is always false), so check mode returns the same as a normal run.
  - "Settings are exported as C(proxy_zone_settings), in the form M(websoft9.cloudflare.zone_settings) takes: the
    six the proxy role always sets (C(ssl), C(always_use_https), C(min_tls_version), C(tls_1_3),
    C(automatic_https_rewrites), C(security_header)) whatever their value, and every other setting whose value
    differs from Cloudflare's default for a new zone (for example C(security_level: high) or
    C(browser_cache_ttl: 7200)), so that drift in them is seen. Not exported: settings the zone's plan does not
    let change (C(editable) false), settings M(websoft9.cloudflare.zone_settings) does not know, and
    C(development_mode), which turns itself off after three hours (listed in RV(unmanaged) when on)."
  - Proxied records omit C(ttl) (Cloudflare keeps it at 1, automatic); unproxied ones keep it, V(1) included, so
    that a TTL changed later is drift. A TXT record whose content
    is one quoted string without quotes or backslashes inside is exported unquoted (C(v=spf1 mx -all));
    M(websoft9.cloudflare.dns_records) compares TXT content by meaning, so it is the same record.
  - The proxy and load_balancer roles take one set of load balancer options per zone; when the zone's load
    balancers differ, the first one (by name) is exported and the others are listed in RV(unmanaged).
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes.INFO_MODULE
seealso:
  - module: websoft9.cloudflare.dns_records
  - module: websoft9.cloudflare.ruleset
  - module: websoft9.cloudflare.load_balancer
"""

EXAMPLES = r"""
- name: Export example.com
  websoft9.cloudflare.zone_export:
    zone: example.com
  register: export

- name: Write the variables as group_vars
  ansible.builtin.copy:
    content: "{{ export.vars | to_nice_yaml(indent=2) }}"
    dest: inventory/group_vars/all.yml
    mode: "0600"

- name: Write the origins of the pools as an inventory
  ansible.builtin.copy:
    content: "{{ export.inventory | to_nice_yaml(indent=2) }}"
    dest: inventory/hosts.yml
    mode: "0600"
"""

RETURN = r"""
vars:
  description:
    - Inventory variables, in the shape of C(playbooks/vars) and the roles' C(meta/argument_specs.yml),
      that is C(cloudflare_zones) (one zone with C(records) and C(load_balancer_hostnames)), the C(proxy_*) and
      C(load_balancer_*) role variables, and C(cloudflare_topology) (C(load_balancer) when the zone has load
      balancers, else C(proxy)).
  returned: success
  type: dict
  sample:
    cloudflare_topology: proxy
    cloudflare_zones:
      - name: example.com
        records: [{name: www, type: A, content: 192.0.2.10, proxied: true}, {name: "@", type: TXT, content: v=spf1 -all}]
        load_balancer_hostnames: []
    proxy_zone_settings: {ssl: strict, min_tls_version: "1.2", security_level: high}
    proxy_ip_access_rules: [{value: 192.0.2.66, target: ip, mode: block, notes: abuse}]
inventory:
  description:
    - An inventory (YAML inventory plugin shape) with one group per pool under C(websoft9) and one host per
      origin (C(load_balancer_origin_address), C(load_balancer_origin_weight), C(load_balancer_origin_enabled)).
  returned: success
  type: dict
  sample:
    all:
      children:
        websoft9:
          children:
            example_com_eu:
              hosts:
                w9-fra-1: {load_balancer_origin_address: 203.0.113.10, load_balancer_origin_weight: 1.0}
unmanaged:
  description: What the roles cannot express and therefore leave as it is, one sentence each.
  returned: success
  type: list
  elements: str
  sample: ["http_ratelimit: rule r1 is not the role's login rate limit (kept: proxy_rules_purge is false)"]
counts:
  description: How many of each kind were exported.
  returned: success
  type: dict
  sample: {records: 12, settings: 8, rules: 4, access_rules: 1, load_balancers: 1, pools: 2, monitors: 1}
"""

import json
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import (
    relative_name,
    txt_content,
    txt_value,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import hostname
from ansible_collections.websoft9.cloudflare.plugins.module_utils.rulesets import (
    RULE_KEYS,
    canonical_rule,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.zone_settings_spec import (
    SETTINGS as SETTING_SPEC,
    SettingError,
    canonical as canonical_setting,
    comparable,
)

# The settings the proxy role always sets (exported whatever their value), and Cloudflare's defaults of the
# others for a new zone (the SDK's setting models; tests/emulator/cfemu/zones.py has the same): a setting is
# exported when its value differs from its default.
SETTINGS = ("ssl", "always_use_https", "min_tls_version", "tls_1_3", "automatic_https_rewrites", "security_header")
SETTING_DEFAULTS = {
    "0rtt": "off", "advanced_ddos": "on", "aegis": {"enabled": False}, "always_online": "off",
    "automatic_platform_optimization": {"enabled": False, "cf": False, "wordpress": False, "wp_plugin": False,
                                        "hostnames": [], "cache_by_device_type": False},
    "brotli": "on", "browser_cache_ttl": 14400, "browser_check": "on", "cache_level": "aggressive",
    "challenge_ttl": 1800, "china_network_enabled": "off", "ciphers": [], "cname_flattening": "flatten_at_root",
    "content_converter": "off", "early_hints": "off", "edge_cache_ttl": 7200, "email_obfuscation": "on",
    "h2_prioritization": "off", "hotlink_protection": "off", "http2": "on", "http3": "on", "image_resizing": "off",
    "ip_geolocation": "on", "ipv6": "on", "max_upload": 100, "mirage": "off", "nel": {"enabled": False},
    "opportunistic_encryption": "on", "opportunistic_onion": "on", "orange_to_orange": "off",
    "origin_error_page_pass_thru": "off", "origin_h2_max_streams": 100, "origin_max_http_version": "2",
    "polish": "off", "pre_render": "off", "prefetch_preload": "off", "privacy_pass": "on", "proxy_read_timeout": 100,
    "pseudo_ipv4": "off", "redirects_for_ai_training": "off", "replace_insecure_js": "on", "response_buffering": "off",
    "rocket_loader": "off", "search_for_agents": "off", "security_level": "medium", "server_side_exclude": "on",
    "sha1_support": "off", "sort_query_string_for_cache": "off", "ssl_recommender": False, "tls_1_2_only": "off",
    "tls_client_auth": "off", "transformations": "off", "transformations_allowed_origins": "*",
    "true_client_ip_header": "off", "waf": "off", "webmcp_enabled": "off", "webmcp_packs": "", "webp": "off",
    "websockets": "on",
}
# development_mode turns itself off after three hours: exporting "on" would turn it on again at every run.
TRANSIENT_SETTINGS = ("development_mode",)
MANAGED_ID = "efb7b8c949ac4650a09736fc376e9aee"
OWASP_ID = "4814384a9e5d4991b9815dcfc25d2f1f"
RECORD_SETTINGS = ("flatten_cname", "ipv4_only", "ipv6_only")
POOL_KEYS = ("check_regions", "minimum_origins", "origin_steering", "latitude", "longitude", "load_shedding",
             "notification_filter")
AFFINITY_KEYS = ("samesite", "secure", "zero_downtime_failover", "drain_duration", "headers", "require_all_headers")
MONITOR_VARS = (("type", "type"), ("method", "method"), ("path", "path"), ("port", "port"),
                ("expected_codes", "expected_codes"), ("expected_body", "expected_body"), ("interval", "interval"),
                ("timeout", "timeout"), ("retries", "retries"), ("consecutive_up", "consecutive_up"),
                ("consecutive_down", "consecutive_down"), ("allow_insecure", "allow_insecure"),
                ("follow_redirects", "follow_redirects"))


def plain_txt(content):
    """TXT content written as one plain value when that is the same record (dns_records compares TXT by meaning:
    v=spf1 mx -all is "v=spf1 mx -all"); other content as it is."""
    value = txt_value(content or "")
    if value and not value.lstrip().startswith('"') and txt_content(value) == content:
        return value
    return content


def export_record(rec, zone):
    out = {"name": relative_name(hostname(rec.get("name") or ""), zone), "type": rec["type"]}
    if rec.get("data") and rec["type"] not in ("A", "AAAA", "CNAME", "TXT", "MX", "NS", "PTR"):
        out["data"] = rec["data"]
    else:
        out["content"] = plain_txt(rec.get("content")) if rec["type"] == "TXT" else rec.get("content")
    if rec.get("priority") is not None and rec["type"] in ("MX", "URI"):
        out["priority"] = rec["priority"]
    if not rec.get("proxied"):  # a proxied record's TTL is always 1; an unproxied one's is managed, 1 included
        out["ttl"] = rec.get("ttl", 1)
    if rec.get("proxiable") or rec.get("proxied"):
        out["proxied"] = bool(rec.get("proxied"))
    if rec.get("comment"):
        out["comment"] = rec["comment"]
    if rec.get("tags"):
        out["tags"] = list(rec["tags"])
    settings = dict((k, v) for k, v in (rec.get("settings") or {}).items() if k in RECORD_SETTINGS and v)
    if settings:
        out["settings"] = settings
    return out


def same_value(one, other):
    """Strict equality of two setting values: 100 == 100.0, but not False == "" or "off" == False."""
    if isinstance(one, dict) and isinstance(other, dict):
        return sorted(one) == sorted(other) and all(same_value(v, other[k]) for k, v in one.items())
    if isinstance(one, list) and isinstance(other, list):
        return len(one) == len(other) and all(same_value(a, b) for a, b in zip(one, other))
    if isinstance(one, bool) or isinstance(other, bool):
        return one is other
    if isinstance(one, (int, float)) and isinstance(other, (int, float)):
        return float(one) == float(other)
    return one == other


def setting_value(item):
    """A setting's value as the listing gives it (ssl_recommender is {id, enabled}, not {id, value})."""
    if item.get("id") == "ssl_recommender" or ("value" not in item and "enabled" in item):
        return item.get("enabled")
    return item.get("value")


def export_rule(rule):
    return dict((k, v) for k, v in rule.items() if k in RULE_KEYS and v is not None)


def managed_rule():
    return {"ref": "w9cf_cloudflare_managed", "description": "Cloudflare Managed Ruleset", "expression": "true",
            "action": "execute", "action_parameters": {"id": MANAGED_ID}}


def owasp_rule(sensitivity):
    return {"ref": "w9cf_owasp_core", "description": "Cloudflare OWASP Core Ruleset", "expression": "true",
            "action": "execute", "action_parameters": {"id": OWASP_ID,
                                                       "overrides": {"sensitivity_level": sensitivity}}}


def login_rule(paths, methods, action, period, requests, timeout):
    """The proxy role's login rate limit rule, built as roles/proxy/tasks/security.yml builds it."""
    expression = "(http.request.uri.path in {%s}%s)" % (
        " ".join(json.dumps(p) for p in paths),
        (" and http.request.method in {%s}" % " ".join(json.dumps(m) for m in methods)) if methods else "")
    return {"ref": "w9cf_login_ratelimit", "description": "Rate limit logins", "expression": expression,
            "action": action, "ratelimit": {"characteristics": ["ip.src", "cf.colo.id"], "period": period,
                                            "requests_per_period": requests, "mitigation_timeout": timeout}}


LOGIN_EXPRESSION = re.compile(r'^\(http\.request\.uri\.path in \{(?P<paths>[^}]*)\}'
                              r'(?: and http\.request\.method in \{(?P<methods>[^}]*)\})?\)$')


def parse_login_rule(rule):
    """The role variables that make this rule, or None when the role's template cannot make it."""
    match = LOGIN_EXPRESSION.match(rule.get("expression") or "")
    rl = rule.get("ratelimit") or {}
    if not match or not isinstance(rl, dict):
        return None
    try:
        paths = [json.loads(p) for p in re.findall(r'"(?:[^"\\]|\\.)*"', match.group("paths"))]
        methods = [json.loads(m) for m in re.findall(r'"(?:[^"\\]|\\.)*"', match.group("methods") or "")]
    except ValueError:
        return None
    if not paths:
        return None
    built = login_rule(paths, methods, rule.get("action"), rl.get("period"), rl.get("requests_per_period"),
                       rl.get("mitigation_timeout", 0))
    if canonical_rule(built) != canonical_rule(export_rule(rule)):
        return None
    return {"proxy_ratelimit": True, "proxy_ratelimit_paths": paths, "proxy_ratelimit_methods": methods,
            "proxy_ratelimit_action": rule.get("action"), "proxy_ratelimit_period": rl.get("period"),
            "proxy_ratelimit_requests": rl.get("requests_per_period"),
            "proxy_ratelimit_timeout": rl.get("mitigation_timeout", 0)}


class Exporter:
    def __init__(self, module, cf):
        self.module = module
        self.cf = cf
        self.unmanaged = []
        self.counts = {}

    def settings(self, items):
        """proxy_zone_settings: the role's six settings, then every other one the zone_settings module knows that
        is editable and not at Cloudflare's default, in the form zone_settings compares (so a run writes none)."""
        by_id = dict((i["id"], i) for i in items or [] if isinstance(i, dict) and i.get("id"))
        out = {}
        for sid in list(SETTINGS) + sorted(set(by_id) - set(SETTINGS)):
            item = by_id.get(sid)
            if item is None or sid not in SETTING_SPEC:
                continue
            value = setting_value(item)
            if sid not in SETTINGS:
                if item.get("editable") is False or value is None:
                    continue
                if sid in TRANSIENT_SETTINGS:
                    if value != "off":
                        self.unmanaged.append("zone setting %s is %s: not exported (it turns itself off after three "
                                              "hours)" % (sid, value))
                    continue
                if sid in SETTING_DEFAULTS and same_value(comparable(sid, value), comparable(sid, SETTING_DEFAULTS[sid])):
                    continue
            try:
                out[sid] = canonical_setting(sid, value)
            except SettingError as exc:
                self.unmanaged.append("zone setting %s: the zone_settings module does not take its value (%s); not "
                                      "exported" % (sid, exc))
        self.counts["settings"] = len(out)
        return out

    def rulesets(self, zid, out):
        rules_of = {}
        for phase in ("http_request_firewall_managed", "http_request_firewall_custom", "http_ratelimit",
                      "http_request_cache_settings"):
            ruleset = self.cf.get("/zones/%s/rulesets/phases/%s/entrypoint" % (zid, phase),
                                  what="ruleset of phase %s" % phase, missing_ok=True) or {}
            rules_of[phase] = ruleset.get("rules") or []
        self.counts["rules"] = sum(len(r) for r in rules_of.values())
        purge = True
        out["proxy_waf_managed"] = False
        out["proxy_waf_owasp"] = False
        for rule in rules_of["http_request_firewall_managed"]:
            params = rule.get("action_parameters") or {}
            sensitivity = (params.get("overrides") or {}).get("sensitivity_level")
            if canonical_rule(export_rule(rule)) == canonical_rule(managed_rule()):
                out["proxy_waf_managed"] = True
            elif sensitivity and canonical_rule(export_rule(rule)) == canonical_rule(owasp_rule(sensitivity)):
                out["proxy_waf_owasp"] = True
                out["proxy_waf_owasp_sensitivity"] = sensitivity
            else:
                purge = False
                self.unmanaged.append("http_request_firewall_managed: rule %s is not one the role makes (kept: "
                                      "proxy_rules_purge is false)" % (rule.get("ref") or rule.get("id")))
        managed = [r.get("ref") for r in rules_of["http_request_firewall_managed"]]
        if out["proxy_waf_managed"] and out["proxy_waf_owasp"] and \
                managed.index("w9cf_cloudflare_managed") > managed.index("w9cf_owasp_core"):
            purge = False
            self.unmanaged.append("http_request_firewall_managed: the OWASP rule runs before the managed one; the "
                                  "role puts it after")
        out["proxy_waf_default_rules"] = False
        out["proxy_waf_custom_rules"] = [export_rule(r) for r in rules_of["http_request_firewall_custom"]]
        out["proxy_ratelimit"] = False
        limits = rules_of["http_ratelimit"]
        parsed = parse_login_rule(limits[0]) if len(limits) == 1 else None
        if parsed:
            out.update(parsed)
        elif limits:
            purge = False
            self.unmanaged.append("http_ratelimit: %d rule(s) that are not the role's login rate limit (kept: "
                                  "proxy_rules_purge is false)" % len(limits))
        out["proxy_cache_static"] = False
        out["proxy_cache_rules"] = [export_rule(r) for r in rules_of["http_request_cache_settings"]]
        out["proxy_rules_purge"] = purge

    def load_balancers(self, zone, out, inventory):
        zid = zone["id"]
        lbs = sorted(self.cf.list("/zones/%s/load_balancers" % zid, what="load balancers"),
                     key=lambda lb: lb.get("name") or "")
        self.counts["load_balancers"] = len(lbs)
        if not lbs:
            self.counts["pools"] = self.counts["monitors"] = 0
            return []
        account = self.cf.account_id()
        pools = dict((p["id"], p) for p in self.cf.list("/accounts/%s/load_balancers/pools" % account,
                                                        what="load balancer pools"))
        monitors = dict((m["id"], m) for m in self.cf.list("/accounts/%s/load_balancers/monitors" % account,
                                                           what="load balancer monitors"))
        first = lbs[0]
        order = []
        for lb in lbs:
            for pid in list(lb.get("default_pools") or []) + [lb.get("fallback_pool")]:
                if pid and pid not in order:
                    order.append(pid)
        keys = ("default_pools", "fallback_pool", "region_pools", "country_pools", "steering_policy", "proxied",
                "session_affinity", "session_affinity_ttl", "session_affinity_attributes", "adaptive_routing",
                "description")
        for lb in lbs[1:]:
            if any(lb.get(k) != first.get(k) for k in keys):
                self.unmanaged.append("load balancer %s: its options differ from %s's; the roles take one set per "
                                      "zone (exported: %s's)" % (lb["name"], first["name"], first["name"]))
        name_of = dict((pid, pools[pid]["name"]) for pid in order if pid in pools)
        missing = [pid for pid in order if pid not in pools]
        if missing:
            self.module.fail_json(msg="load balancers of %s use pools that are not in the account: %s"
                                      % (zone["name"], ", ".join(missing)))
        used = set(pools[pid].get("monitor") for pid in order)
        monitor_ids = sorted(m for m in used if m)
        if len(used) > 1 or not monitor_ids:
            self.unmanaged.append("pools: the roles give every pool of a zone the same monitor; these pools use "
                                  "%d different monitors (or none)" % len(used))
        self.counts["pools"] = len(order)
        self.counts["monitors"] = len(monitor_ids)
        if monitor_ids and monitor_ids[0] in monitors:
            monitor = monitors[monitor_ids[0]]
            out["load_balancer_monitor_description"] = monitor.get("description") or ""
            for key, field in MONITOR_VARS:
                if monitor.get(field) is not None:
                    out["load_balancer_monitor_" + key] = monitor[field]
            host = (monitor.get("header") or {}).get("Host") or []
            out["load_balancer_monitor_host"] = host[0] if host else ""
            if not host and monitor.get("type") in ("http", "https"):
                self.unmanaged.append("monitor %s: no Host header; the role sends the first hostname as Host"
                                      % (monitor.get("description") or monitor["id"]))
        groups = {}
        hosts_seen = {}
        out["load_balancer_pools"] = []
        for pid in order:
            pool = pools[pid]
            group = re.sub(r"[^A-Za-z0-9_]", "_", pool["name"])
            item = {"group": group, "name": pool["name"], "description": pool.get("description") or "",
                    "regions": [], "countries": []}
            for key in POOL_KEYS:
                if pool.get(key) is not None:
                    item[key] = pool[key]
            out["load_balancer_pools"].append(item)
            hosts = {}
            for origin in pool.get("origins") or []:
                name = origin["name"]
                if re.search(r"[^A-Za-z0-9_-]", name):
                    self.unmanaged.append("pool %s: origin name %s has characters the role replaces with '-'"
                                          % (pool["name"], name))
                hv = {"load_balancer_origin_address": origin["address"],
                      "load_balancer_origin_weight": float(origin.get("weight", 1)),
                      "load_balancer_origin_enabled": bool(origin.get("enabled", True))}
                for extra in ("header", "port", "virtual_network_id"):
                    if origin.get(extra):
                        self.unmanaged.append("pool %s: origin %s has %s, which the role does not set"
                                              % (pool["name"], name, extra))
                if name in hosts_seen and hosts_seen[name] != hv:
                    self.unmanaged.append("origin %s is in several pools with different addresses or weights; "
                                          "one inventory host cannot be both" % name)
                hosts_seen.setdefault(name, hv)
                hosts[name] = hv
            groups[group] = {"hosts": hosts}
        inventory["all"]["children"]["websoft9"]["children"] = groups
        out["load_balancer_default_pools"] = [name_of[p] for p in first.get("default_pools") or []]
        out["load_balancer_fallback_pool"] = name_of.get(first.get("fallback_pool"), "")
        out["load_balancer_region_pools"] = dict((code, [name_of[p] for p in ids])
                                                 for code, ids in (first.get("region_pools") or {}).items())
        out["load_balancer_country_pools"] = dict((code, [name_of[p] for p in ids])
                                                  for code, ids in (first.get("country_pools") or {}).items())
        out["load_balancer_proxied"] = bool(first.get("proxied"))
        out["load_balancer_steering_policy"] = first.get("steering_policy") or "off"
        out["load_balancer_session_affinity"] = first.get("session_affinity") or "none"
        if out["load_balancer_session_affinity"] != "none":
            if first.get("session_affinity_ttl") is not None:
                out["load_balancer_session_affinity_ttl"] = first["session_affinity_ttl"]
            out["load_balancer_session_affinity_attributes"] = dict(
                (k, v) for k, v in (first.get("session_affinity_attributes") or {}).items()
                if k in AFFINITY_KEYS and v is not None)
        out["load_balancer_failover_across_pools"] = bool((first.get("adaptive_routing") or {})
                                                          .get("failover_across_pools"))
        out["load_balancer_description"] = first.get("description") or ""
        if first.get("pop_pools") or first.get("rules"):
            self.unmanaged.append("load balancers: pop_pools and rules are not set by the role (kept as they are)")
        return [lb["name"] for lb in lbs]

    def run(self):
        cf = self.cf
        zone = cf.zone(self.module.params["zone"])
        zid, zname = zone["id"], zone["name"].lower()
        records = cf.list("/zones/%s/dns_records" % zid, what="DNS records", per_page=5000)
        exported = sorted((export_record(r, zname) for r in records if r.get("type") != "SOA"),
                          key=lambda r: (r["name"], r["type"], json.dumps(r, sort_keys=True)))
        self.counts["records"] = len(exported)
        settings = self.settings(cf.get("/zones/%s/settings" % zid, what="zone settings"))
        aop = cf.get("/zones/%s/origin_tls_client_auth/settings" % zid, what="origin pulls setting",
                     missing_ok=True) or {}
        out = {
            "proxy_zone_type": zone.get("type") or "full",
            "proxy_app_records": False,
            "proxy_records_purge": False,
            "proxy_zone_settings": settings,
            "proxy_authenticated_origin_pulls": bool(aop.get("enabled")),
            "proxy_origin_certificate": self.module.params["origin_certificate"],
        }
        self.rulesets(zid, out)
        access = []
        for rule in cf.list("/zones/%s/firewall/access_rules/rules" % zid, what="IP access rules"):
            if (rule.get("scope") or {}).get("type", "zone") != "zone":
                continue
            conf = rule.get("configuration") or {}
            item = {"value": conf.get("value"), "target": conf.get("target"), "mode": rule.get("mode")}
            if rule.get("notes"):
                item["notes"] = rule["notes"]
            access.append(item)
        out["proxy_ip_access_rules"] = sorted(access, key=lambda a: (a["target"] or "", a["value"] or ""))
        self.counts["access_rules"] = len(access)
        inventory = {"all": {"children": {"websoft9": {"children": {}}}}}
        hostnames = self.load_balancers(zone, out, inventory)
        if not hostnames:
            out["load_balancer_pools"] = []
        out["cloudflare_topology"] = "load_balancer" if hostnames else "proxy"
        out["cloudflare_zones"] = [{"name": zname, "records": exported, "load_balancer_hostnames": hostnames}]
        self.module.exit_json(changed=False, vars=dict(sorted(out.items())), inventory=inventory,
                              unmanaged=self.unmanaged, counts=self.counts)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["name", "zone_id"]),
        origin_certificate=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    Exporter(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
