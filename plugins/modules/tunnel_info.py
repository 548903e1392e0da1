#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tunnel_info
short_description: Read Cloudflare Tunnels, their status, connectors and ingress configuration
version_added: 0.1.0
description:
  - Lists the account's Cloudflare Tunnels (C(cfd_tunnel)), or one by name or id, with their status and
    connections, and optionally their remote ingress configuration and connectors.
  - Useful to wait until C(cloudflared) has connected (RV(tunnels[].status) becomes V(healthy)).
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  name:
    description:
      - Only the tunnel of this name.
    type: str
  id:
    description:
      - Only the tunnel with this id.
    type: str
  include_deleted:
    description:
      - Also list deleted tunnels (Cloudflare keeps them, with C(deleted_at) set).
    type: bool
    default: false
  configuration:
    description:
      - Also read each tunnel's remote configuration (one request per remotely managed tunnel).
    type: bool
    default: false
  connectors:
    description:
      - Also read each tunnel's connectors (one request per tunnel that has connections).
    type: bool
    default: false
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Wait for cloudflared to connect the tunnel
  websoft9.cloudflare.tunnel_info:
    name: web1
  register: info
  until: info.tunnels | length == 1 and info.tunnels[0].status == 'healthy'
  retries: 30
  delay: 2

- name: Every tunnel with its ingress rules
  websoft9.cloudflare.tunnel_info:
    configuration: true
  register: all_tunnels
"""

RETURN = r"""
tunnels:
  description: The matching tunnels, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The tunnel's id.
      type: str
    name:
      description: The tunnel's name.
      type: str
    status:
      description: V(inactive), V(healthy), V(degraded) or V(down).
      type: str
    config_src:
      description: V(cloudflare) or V(local).
      type: str
    connections:
      description: The tunnel's connections to Cloudflare's edge.
      type: list
      elements: dict
    deleted_at:
      description: When the tunnel was deleted (null for a live tunnel).
      type: str
    cname_target:
      description: The name DNS records point at, C(<id>.cfargotunnel.com).
      type: str
    ingress:
      description: The ingress rules (snake_case), with O(configuration=true) for a remotely managed tunnel.
      type: list
      elements: dict
    origin_request:
      description: The configuration-wide origin settings (snake_case), with O(configuration=true).
      type: dict
    config_version:
      description: The remote configuration's version, with O(configuration=true).
      type: int
    connectors:
      description: The connectors (cloudflared instances), with O(connectors=true).
      type: list
      elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils import tunnel_config as tc
from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        name=dict(type="str"),
        id=dict(type="str"),
        include_deleted=dict(type="bool", default=False),
        configuration=dict(type="bool", default=False),
        connectors=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    cf = CloudflareClient(module)
    base = "/accounts/%s/cfd_tunnel" % cf.account_id()
    query = {}
    if not p["include_deleted"]:
        query["is_deleted"] = "false"
    if p["name"]:
        query["name"] = p["name"]
    if p["id"]:
        query["uuid"] = p["id"]
    tunnels = cf.list(base, query=query, what="tunnels", per_page=50)
    if p["name"]:
        tunnels = [t for t in tunnels if t.get("name") == p["name"]]
    if p["id"]:
        tunnels = [t for t in tunnels if t.get("id") == p["id"]]
    out = []
    for tunnel in tunnels:
        item = dict(tunnel)
        item["cname_target"] = "%s.cfargotunnel.com" % tunnel["id"]
        live = not tunnel.get("deleted_at")
        if p["configuration"] and live and tunnel.get("config_src") == "cloudflare":
            config = cf.get("%s/%s/configurations" % (base, tunnel["id"]),
                            what="configuration of tunnel %s" % tunnel.get("name")) or {}
            cfg = config.get("config") or {}
            item["ingress"] = tc.ingress_option(cfg.get("ingress"))
            item["origin_request"] = tc.origin_request_option(cfg.get("originRequest"))
            item["config_version"] = config.get("version")
        if p["connectors"]:
            item["connectors"] = []
            if tunnel.get("connections"):
                item["connectors"] = cf.get("%s/%s/connections" % (base, tunnel["id"]),
                                            what="connectors of tunnel %s" % tunnel.get("name")) or []
        out.append(item)
    module.exit_json(changed=False, tunnels=out)


if __name__ == "__main__":
    main()
