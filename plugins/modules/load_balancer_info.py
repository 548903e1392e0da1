#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: load_balancer_info
short_description: Read a zone's Cloudflare load balancers
version_added: 0.1.0
description:
  - Lists the load balancers of a zone, or the one of a hostname, as the API returns them, sorted by name.
  - "Requests: the zone lookup and one listing of the zone's load balancers; with O(pool_names=true), one
    listing of the account's pools too."
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone's name or id.
    type: str
    required: true
    aliases: [zone_id]
  name:
    description:
      - Only the load balancer of this hostname, relative to O(zone) (V(app), V(@)) or fully qualified;
        compared without case.
    type: str
  pool_names:
    description:
      - Also return the names of the pools each load balancer uses (RV(load_balancers[].pool_names)).
    type: bool
    default: false
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes.INFO_MODULE
seealso:
  - module: websoft9.cloudflare.load_balancer
  - module: websoft9.cloudflare.lb_pool_health_info
"""

EXAMPLES = r"""
- name: Every load balancer of example.com
  websoft9.cloudflare.load_balancer_info:
    zone: example.com
  register: lbs

- name: The one of app.example.com, with its pools by name
  websoft9.cloudflare.load_balancer_info:
    zone: example.com
    name: app
    pool_names: true
  register: app_lb
"""

RETURN = r"""
load_balancers:
  description: The zone's load balancers (or the one of O(name)), sorted by name; empty when there are none.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The load balancer's id.
      type: str
    name:
      description: Its hostname, fully qualified.
      type: str
    description:
      description: Its description.
      type: str
    enabled:
      description: Whether it answers.
      type: bool
    proxied:
      description: Whether Cloudflare proxies its traffic.
      type: bool
    default_pools:
      description: Pool ids in failover order.
      type: list
      elements: str
    fallback_pool:
      description: The pool id used when every other pool is unhealthy.
      type: str
    steering_policy:
      description: The steering policy (V(off), V(geo), V(random), V(dynamic_latency), V(proximity), ...).
      type: str
    pool_names:
      description:
        - With O(pool_names=true), pool id to pool name for every pool the load balancer uses (default, fallback,
          region, country and PoP pools).
      type: dict
  sample:
    - id: 699d98642c564d2e855e9661899b7252
      name: app.example.com
      description: websoft9.cloudflare
      enabled: true
      proxied: true
      default_pools: [17b5962d775c646f3f9725cbc7a53df4]
      fallback_pool: 17b5962d775c646f3f9725cbc7a53df4
      steering_policy: geo
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import fqdn


def _pool_ids(lb):
    ids = list(lb.get("default_pools") or []) + [lb.get("fallback_pool")]
    for key in ("region_pools", "country_pools", "pop_pools"):
        for pools in (lb.get(key) or {}).values():
            ids.extend(pools or [])
    return [pid for pid in ids if pid]


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["zone_id"]),
        name=dict(type="str"),
        pool_names=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    cf = CloudflareClient(module)
    zone = cf.zone(p["zone"])
    lbs = cf.get("/zones/%s/load_balancers" % zone["id"], what="load balancers of %s" % zone["name"]) or []
    if p["name"]:
        wanted = fqdn(p["name"], zone["name"])
        lbs = [lb for lb in lbs if fqdn(lb.get("name") or "", zone["name"]) == wanted]
    lbs = sorted(lbs, key=lambda lb: lb.get("name") or "")
    if p["pool_names"] and lbs:
        names = dict((pool["id"], pool.get("name")) for pool in cf.list(
            "/accounts/%s/load_balancers/pools" % cf.account_id(), what="load balancer pools"))
        for lb in lbs:
            lb["pool_names"] = dict((pid, names.get(pid)) for pid in _pool_ids(lb))
    module.exit_json(changed=False, load_balancers=lbs)


if __name__ == "__main__":
    main()
