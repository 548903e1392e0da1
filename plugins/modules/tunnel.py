#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tunnel
short_description: Manage a Cloudflare Tunnel, its ingress rules, its token and the DNS records pointing at it
version_added: 0.1.0
description:
  - Create or delete a Cloudflare Tunnel (C(cfd_tunnel)) identified by its name in the account.
  - Manage its remote ingress configuration (public hostname to local service rules, ending with a catch-all),
    with O(ingress[].origin_request) options in snake_case converted to the API's camelCase keys.
  - Optionally return the token C(cloudflared tunnel run --token) needs, and create the proxied CNAME
    C(<hostname> -> <tunnel id>.cfargotunnel.com) for every ingress hostname.
  - Every option is validated before anything is written. A second run of an unchanged task only reads.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  name:
    description:
      - The tunnel's name, unique among the account's tunnels that are not deleted.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the tunnel (after cleaning up stale connections), and with O(dns=true) the CNAME records
        that point at it for the hostnames of its configuration.
    type: str
    choices: [present, absent]
    default: present
  config_src:
    description:
      - V(cloudflare) for a remotely managed tunnel (ingress set through the API, C(cloudflared) runs with a token),
        V(local) for one configured by a file next to C(cloudflared).
      - When not set, a new tunnel is V(cloudflare); an existing tunnel keeps its value. It cannot be changed
        on an existing tunnel (the module fails; delete and recreate the tunnel).
      - O(ingress) needs V(cloudflare).
    type: str
    choices: [local, cloudflare]
  tunnel_secret:
    description:
      - The tunnel's secret, base64 of at least 32 random bytes. When not set, Cloudflare generates one for a new
        tunnel and an existing tunnel keeps its own.
      - When set on an existing tunnel it is compared with the secret inside the tunnel's token (one read) and
        rotated when it differs; running connectors then need the new token.
    type: str
  ingress:
    description:
      - The ingress rules in order; the first rule whose hostname (and path) matches a request wins.
      - Every rule but the last needs a O(ingress[].hostname); the last rule must be a catch-all without hostname
        and path, for example a rule with only O(ingress[].service=http_status:404).
      - When not set, the tunnel's configuration is left as it is.
    type: list
    elements: dict
    suboptions:
      hostname:
        description: The public hostname, for example V(app.example.com); V(*.example.com) matches subdomains.
        type: str
      path:
        description: A regular expression the request path must match.
        type: str
      service:
        description:
          - Where matching requests go, for example V(http://localhost:8080), V(https://10.0.0.5), V(tcp://db:5432),
            V(ssh://localhost:22), V(unix:/run/app.sock), V(http_status:404) or V(hello_world).
        type: str
        required: true
      origin_request:
        description:
          - Per-rule connection settings between C(cloudflared) and the origin, in snake_case. Known keys
            C(access) (C(aud_tag), C(team_name), C(required)), C(ca_pool), C(connect_timeout),
            C(disable_chunked_encoding), C(http2_origin), C(http_host_header), C(keep_alive_connections),
            C(keep_alive_timeout), C(match_sni_to_host), C(no_happy_eyeballs), C(no_tls_verify),
            C(origin_server_name), C(proxy_type), C(tcp_keep_alive), C(tls_timeout) (times in seconds).
        type: dict
  origin_request:
    description:
      - Connection settings for every rule (same keys as O(ingress[].origin_request)). Left as it is when not set.
    type: dict
  dns:
    description:
      - Create (or correct) a proxied CNAME C(<hostname> -> <tunnel id>.cfargotunnel.com) in O(zone) for every
        ingress hostname, and delete the ones pointing at this tunnel for hostnames no longer in its ingress.
      - The module fails before writing anything when a hostname already has other (A, AAAA, ...) records.
      - Alternatively manage those records with M(websoft9.cloudflare.dns_record).
    type: bool
    default: false
  zone:
    description:
      - The zone (name or id) the ingress hostnames belong to. Required with O(dns=true).
    type: str
  return_token:
    description:
      - Return the tunnel's token in RV(token). Set C(no_log=true) on the task, the token gives control of the tunnel.
    type: bool
    default: false
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
notes:
  - The tunnel's secret and token are never part of the diff or of RV(tunnel).
"""

EXAMPLES = r"""
- name: A tunnel for the app, with its DNS records, and its token for cloudflared
  websoft9.cloudflare.tunnel:
    name: web1
    zone: example.com
    dns: true
    return_token: true
    ingress:
      - hostname: app.example.com
        service: http://localhost:8080
      - hostname: ssh.example.com
        service: ssh://localhost:22
      - hostname: admin.example.com
        path: ^/api/
        service: https://localhost:8443
        origin_request:
          no_tls_verify: true
          connect_timeout: 10
      - service: http_status:404
  register: tunnel
  no_log: true

- name: Run cloudflared with it
  ansible.builtin.command: cloudflared service install {{ tunnel.token }}
  no_log: true

- name: Delete the tunnel and its CNAME records
  websoft9.cloudflare.tunnel:
    name: web1
    zone: example.com
    dns: true
    state: absent
"""

RETURN = r"""
tunnel:
  description: The tunnel after the task (in check mode, as it would be). Empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: The tunnel's id (a UUID); null in check mode for a new tunnel.
      type: str
    name:
      description: The tunnel's name.
      type: str
    config_src:
      description: V(cloudflare) or V(local).
      type: str
    status:
      description: V(inactive) (never run), V(healthy), V(degraded) or V(down).
      type: str
    created_at:
      description: When the tunnel was created.
      type: str
    cname_target:
      description: The name DNS records point at, C(<id>.cfargotunnel.com).
      type: str
    ingress:
      description: The ingress rules (snake_case), when the configuration is managed.
      type: list
      elements: dict
    origin_request:
      description: The configuration-wide origin settings (snake_case), when managed.
      type: dict
    config_version:
      description: The version of the remote configuration.
      type: int
dns_records:
  description: The CNAME records for the ingress hostnames, with O(dns=true).
  returned: when O(dns=true)
  type: list
  elements: dict
  sample: [{name: app.example.com, content: 6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com, proxied: true}]
token:
  description: The token for C(cloudflared tunnel run --token); null in check mode for a new tunnel.
  returned: when O(return_token=true) and O(state=present)
  type: str
changed_fields:
  description: What differed and was (or would be) written, among V(tunnel), V(tunnel_secret), V(config), V(dns).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils import tunnel_config as tc
from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import hostname as norm_host
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import in_zone

TUNNEL_FIELDS = ("id", "name", "config_src", "status", "created_at", "remote_config")
NEW = "<new tunnel>"


class Tunnel(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.cf = None
        self.ingress = None
        self.origin_request = None
        self.changed_fields = []

    # --- validation ---------------------------------------------------------------------------------------------
    def validate(self):
        p = self.p
        name = (p["name"] or "").strip()
        if not name or len(name) > 255:
            self.module.fail_json(msg="name: a tunnel name of 1 to 255 characters is required")
        try:
            if p["tunnel_secret"] is not None:
                tc.check_secret(p["tunnel_secret"])
            if p["ingress"] is not None:
                self.ingress = tc.ingress_wire(p["ingress"])
            self.origin_request = tc.origin_request_wire(p["origin_request"], "origin_request")
        except tc.ConfigError as exc:
            self.module.fail_json(msg=str(exc))
        if p["ingress"] is not None and p["config_src"] == "local":
            self.module.fail_json(msg="ingress: needs config_src cloudflare (a local tunnel reads its ingress from "
                                      "cloudflared's configuration file)")
        if p["origin_request"] is not None and p["ingress"] is None:
            self.module.fail_json(msg="origin_request: only managed together with ingress")
        if p["dns"]:
            if not p["zone"]:
                self.module.fail_json(msg="zone: required with dns=true (the zone of the ingress hostnames)")
            zone = p["zone"].strip().rstrip(".").lower()
            if "." in zone:  # a zone name: check the hostnames now, before any request
                for host in tc.hostnames(self.ingress):
                    if not in_zone(host.lstrip("*."), zone):
                        self.module.fail_json(msg="ingress: hostname %s is not in zone %s (dns=true)" % (host, zone))

    # --- reading ------------------------------------------------------------------------------------------------
    def find(self):
        account = self.cf.account_id()
        found = self.cf.list("/accounts/%s/cfd_tunnel" % account, query={"name": self.p["name"], "is_deleted": "false"},
                             what="tunnels named %s" % self.p["name"], per_page=50)
        found = [t for t in found if t.get("name") == self.p["name"] and not t.get("deleted_at")]
        if len(found) > 1:
            self.module.fail_json(msg="name: %d tunnels are named %s; delete the extra ones" % (len(found), self.p["name"]))
        return found[0] if found else None

    def path(self, tunnel, suffix=""):
        return "/accounts/%s/cfd_tunnel/%s%s" % (self.cf.account_id(), tunnel["id"], suffix)

    def get_config(self, tunnel):
        if tunnel is None:
            return {}
        return self.cf.get(self.path(tunnel, "/configurations"), what="configuration of tunnel %s" % self.p["name"]) or {}

    def get_token(self, tunnel):
        return self.cf.get(self.path(tunnel, "/token"), what="token of tunnel %s" % self.p["name"])

    def zone(self):
        return self.cf.zone(self.p["zone"])

    def dns_lookup(self, zone, hosts):
        """{hostname: [records of that name]}, one read per hostname."""
        found = {}
        for host in hosts:
            found[host] = self.cf.list("/zones/%s/dns_records" % zone["id"], query={"name.exact": host},
                                       what="DNS records named %s" % host, per_page=100)
        return found

    # --- planning -----------------------------------------------------------------------------------------------
    def config_body(self, current):
        """The configuration to PUT (keeping keys this module does not manage, such as warp-routing), or None when
        the current one already means the same."""
        if self.ingress is None:
            return None
        actual = dict((current or {}).get("config") or {})
        desired = dict(actual)
        desired["ingress"] = self.ingress
        if self.origin_request is not None:
            if self.origin_request:
                desired["originRequest"] = self.origin_request
            else:
                desired.pop("originRequest", None)
        if tc.canonical(desired) == tc.canonical(actual):
            return None
        return desired

    def dns_plan(self, zone, records, target, old_hosts):
        """([creates], [updates (record, body)], [deletes]) for the CNAMEs; fails on conflicting records."""
        creates, updates, deletes = [], [], []
        wanted = tc.hostnames(self.ingress) if self.ingress is not None else old_hosts
        for host in wanted:
            existing = records.get(host, [])
            others = [r for r in existing if r.get("type") != "CNAME"]
            if others:
                self.module.fail_json(msg="dns: %s already has %s record(s); remove them (or set dns=false) so a "
                                          "CNAME to the tunnel can be made" % (
                                              host, ", ".join(sorted(set(r["type"] for r in others)))))
            cnames = [r for r in existing if r.get("type") == "CNAME"]
            body = {"type": "CNAME", "name": host, "content": target, "proxied": True, "ttl": 1,
                    "comment": "tunnel %s" % self.p["name"]}
            if not cnames:
                creates.append(body)
            elif norm_host(cnames[0].get("content")) != target or cnames[0].get("proxied") is not True:
                updates.append((cnames[0], body))
        for host in old_hosts:
            if host in wanted:
                continue
            for rec in records.get(host, []):
                if rec.get("type") == "CNAME" and norm_host(rec.get("content")) == target:
                    deletes.append(rec)
        return creates, updates, deletes

    # --- driver -------------------------------------------------------------------------------------------------
    def run(self):
        self.validate()
        self.cf = CloudflareClient(self.module)
        tunnel = self.find()
        if self.p["state"] == "absent":
            return self.absent(tunnel)
        p = self.p
        check = self.module.check_mode
        if tunnel is not None and p["config_src"] and tunnel.get("config_src") != p["config_src"]:
            self.module.fail_json(msg="config_src: tunnel %s is %s and cannot become %s; delete and recreate it"
                                      % (p["name"], tunnel.get("config_src"), p["config_src"]))
        if tunnel is not None and self.ingress is not None and tunnel.get("config_src") == "local":
            self.module.fail_json(msg="ingress: tunnel %s is locally managed (config_src local); its ingress lives in "
                                      "cloudflared's configuration file. Delete and recreate it with config_src "
                                      "cloudflare to manage ingress here" % p["name"])
        current = self.get_config(tunnel) if (tunnel is not None and (self.ingress is not None or p["dns"])) else {}
        old_hosts = tc.hostnames(((current or {}).get("config") or {}).get("ingress"))
        config = self.config_body(current) if tunnel is not None else (
            {"ingress": self.ingress, "originRequest": self.origin_request} if self.ingress is not None else None)
        if config is not None and not config.get("originRequest"):
            config.pop("originRequest", None)
        token = None
        rotate = False
        if tunnel is not None and p["tunnel_secret"] is not None:
            token = self.get_token(tunnel)
            rotate = tc.secret_of_token(token) != p["tunnel_secret"]
        zone = records = None
        target = "%s.cfargotunnel.com" % (tunnel["id"] if tunnel else NEW)
        dns_plan = ([], [], [])
        if p["dns"]:
            zone = self.zone()
            hosts = tc.hostnames(self.ingress) if self.ingress is not None else old_hosts
            for host in hosts:
                if not in_zone(host.lstrip("*."), zone["name"]):
                    self.module.fail_json(msg="ingress: hostname %s is not in zone %s (dns=true)" % (host, zone["name"]))
            records = self.dns_lookup(zone, sorted(set(hosts) | set(old_hosts)))
            dns_plan = self.dns_plan(zone, records, target, old_hosts if tunnel else [])

        # --- everything is read and checked: write -----------------------------------------------------------------
        before = self.view(tunnel, current)
        if tunnel is None:
            self.changed_fields.append("tunnel")
            tunnel = self.create(check)
            target = "%s.cfargotunnel.com" % (tunnel["id"] or NEW)
            dns_plan = self.dns_plan(zone, records, target, []) if p["dns"] else dns_plan
        if rotate:
            self.changed_fields.append("tunnel_secret")
            if not check:
                tunnel = self.cf.patch(self.path(tunnel), {"tunnel_secret": p["tunnel_secret"]},
                                       what="tunnel %s" % p["name"])
                token = None
        if config is not None:
            self.changed_fields.append("config")
            if check:
                current = {"config": config, "version": (current or {}).get("version", 0) + 1}
            else:
                current = self.cf.put(self.path(tunnel, "/configurations"), {"config": config},
                                      what="configuration of tunnel %s" % p["name"])
        dns_records = []
        if p["dns"]:
            dns_records = self.apply_dns(zone, records, dns_plan, check)
        result = {"changed": bool(self.changed_fields), "changed_fields": self.changed_fields,
                  "tunnel": self.view(tunnel, current)}
        if p["dns"]:
            result["dns_records"] = dns_records
        if p["return_token"]:
            if tunnel.get("id") is None:
                result["token"] = None
            else:
                result["token"] = token if token is not None else self.get_token(tunnel)
        if self.module._diff:
            after = dict(result["tunnel"])
            if p["dns"]:
                before["dns_records"] = self.dns_view(records, before.get("cname_target"))
                after["dns_records"] = dns_records
            result["diff"] = {"before": before, "after": after}
        self.module.exit_json(**result)

    def create(self, check):
        p = self.p
        body = {"name": p["name"], "config_src": p["config_src"] or "cloudflare"}
        if p["tunnel_secret"] is not None:
            body["tunnel_secret"] = p["tunnel_secret"]
        if check:
            return {"id": None, "name": p["name"], "config_src": body["config_src"], "status": "inactive"}
        return self.cf.post("/accounts/%s/cfd_tunnel" % self.cf.account_id(), body, what="tunnel %s" % p["name"],
                            reconcile=self.find)

    def apply_dns(self, zone, records, plan, check):
        creates, updates, deletes = plan
        if creates or updates or deletes:
            self.changed_fields.append("dns")
        out = dict((h, None) for h in tc.hostnames(self.ingress) if self.ingress is not None)
        for host, recs in (records or {}).items():
            for rec in recs:
                if rec.get("type") == "CNAME" and host in out:
                    out[host] = rec
        path = "/zones/%s/dns_records" % zone["id"]
        for body in creates:
            out[body["name"]] = body if check else self.cf.post(
                path, body, what="DNS record %s" % body["name"],
                reconcile=lambda b=body: next(iter([r for r in self.dns_lookup(zone, [b["name"]])[b["name"]]
                                                    if r.get("type") == "CNAME"]), None))
        for rec, body in updates:
            out[body["name"]] = dict(rec, **body) if check else self.cf.put(
                "%s/%s" % (path, rec["id"]), body, what="DNS record %s" % body["name"])
        for rec in deletes:
            if not check:
                self.cf.delete("%s/%s" % (path, rec["id"]), what="DNS record %s" % rec["name"])
        return [self.record_view(r) for h, r in sorted(out.items()) if r]

    @staticmethod
    def record_view(rec):
        return dict((k, rec.get(k)) for k in ("id", "name", "type", "content", "proxied") if k in rec)

    def dns_view(self, records, target):
        out = []
        for host in tc.hostnames(self.ingress) if self.ingress is not None else sorted(records or {}):
            for rec in (records or {}).get(host, []):
                if rec.get("type") == "CNAME":
                    out.append(self.record_view(rec))
        return out

    def view(self, tunnel, config):
        if not tunnel:
            return {}
        out = dict((k, tunnel.get(k)) for k in TUNNEL_FIELDS if k in tunnel)
        out["cname_target"] = "%s.cfargotunnel.com" % tunnel["id"] if tunnel.get("id") else None
        cfg = (config or {}).get("config") or {}
        if self.ingress is not None or cfg:
            out["ingress"] = tc.ingress_option(cfg.get("ingress"))
            out["origin_request"] = tc.origin_request_option(cfg.get("originRequest"))
            out["config_version"] = (config or {}).get("version")
        return out

    def absent(self, tunnel):
        p = self.p
        check = self.module.check_mode
        if tunnel is None:
            result = {"changed": False, "changed_fields": [], "tunnel": {}}
            if self.module._diff:
                result["diff"] = {"before": {}, "after": {}}
            self.module.exit_json(**result)
        current = self.get_config(tunnel) if p["dns"] else {}
        before = self.view(tunnel, current)
        target = "%s.cfargotunnel.com" % tunnel["id"]
        deletes = []
        if p["dns"]:
            zone = self.zone()
            hosts = set(tc.hostnames(((current or {}).get("config") or {}).get("ingress")))
            hosts |= set(tc.hostnames(self.ingress))
            hosts = sorted(h for h in hosts if in_zone(h.lstrip("*."), zone["name"]))
            records = self.dns_lookup(zone, hosts)
            deletes = [r for h in hosts for r in records[h]
                       if r.get("type") == "CNAME" and norm_host(r.get("content")) == target]
        self.changed_fields.append("tunnel")
        if deletes:
            self.changed_fields.append("dns")
        if not check:
            for rec in deletes:
                self.cf.delete("/zones/%s/dns_records/%s" % (zone["id"], rec["id"]), what="DNS record %s" % rec["name"])
            if tunnel.get("connections"):
                self.cf.delete(self.path(tunnel, "/connections"), what="connections of tunnel %s" % p["name"])
            self.cf.delete(self.path(tunnel), what="tunnel %s" % p["name"])
        result = {"changed": True, "changed_fields": self.changed_fields, "tunnel": {}}
        if p["dns"]:
            result["dns_records"] = []
            before["dns_records"] = [self.record_view(r) for r in deletes]
        if self.module._diff:
            result["diff"] = {"before": before, "after": {}}
        self.module.exit_json(**result)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        config_src=dict(type="str", choices=["local", "cloudflare"]),
        tunnel_secret=dict(type="str", no_log=True),
        ingress=dict(type="list", elements="dict", options=dict(
            hostname=dict(type="str"),
            path=dict(type="str"),
            service=dict(type="str", required=True),
            origin_request=dict(type="dict"),
        )),
        origin_request=dict(type="dict"),
        dns=dict(type="bool", default=False),
        zone=dict(type="str"),
        return_token=dict(type="bool", default=False, no_log=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    Tunnel(module).run()


if __name__ == "__main__":
    main()
