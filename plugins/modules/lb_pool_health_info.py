#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lb_pool_health_info
short_description: Health of Cloudflare load balancing pools and their origins
version_added: 0.1.0
description:
  - Reads the health of one pool, or of every pool of the account, as Cloudflare's monitors see it, with each
    origin's state, the reason of a failure, the last response code and round-trip time, per checking region.
  - A pool is healthy when it is enabled and at least C(minimum_origins) of its enabled origins are healthy;
    disabled pools and origins count as unhealthy. A pool without a monitor is not checked by Cloudflare; its
    enabled origins count as healthy, and no health is read for it.
  - One read lists the pools, then one health read per pool with a monitor. A failed health read is a warning
    and marks that pool unhealthy with the O(pool) item's C(error); the other pools are still reported.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  pool:
    description:
      - The pool, by name or id. When not set, every pool of the account is reported.
    type: str
  fail_on_unhealthy:
    description:
      - Fail the task when a reported pool is unhealthy (useful as a deployment gate).
    type: bool
    default: false
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Health of the Websoft9 pools
  websoft9.cloudflare.lb_pool_health_info:
  register: health

- name: Show unhealthy origins
  ansible.builtin.debug:
    msg: "{{ item.pool }} / {{ item.name }}: {{ item.failure_reason }}"
  loop: "{{ health.pools | subelements('origins') | map('last') | rejectattr('healthy') }}"

- name: Stop a rollout while a pool is down
  websoft9.cloudflare.lb_pool_health_info:
    pool: websoft9-eu
    fail_on_unhealthy: true
"""

RETURN = r"""
pools:
  description: One item per pool, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The pool's id.
      type: str
      sample: 17b5962d775c646f3f9725cbc7a53df4
    name:
      description: The pool's name.
      type: str
      sample: websoft9-eu
    enabled:
      description: Whether the pool is enabled.
      type: bool
      sample: true
    healthy:
      description: Whether the pool is healthy in every checking region (false when any region sees it unhealthy).
      type: bool
      sample: true
    monitor:
      description: The monitor's id, or null (a pool without a monitor is not checked).
      type: str
      sample: f1aba936b94213e5b8dca0c0dbf1f9cc
    minimum_origins:
      description: Healthy origins needed.
      type: int
      sample: 1
    healthy_origins:
      description: How many enabled origins are healthy (in every region).
      type: int
      sample: 2
    regions:
      description: Checking region (or data centre) to whether the pool is healthy there.
      type: dict
      sample: {WEU: true, ENAM: true}
    origins:
      description: The pool's origins with their health.
      type: list
      elements: dict
      sample:
        - name: eu-1
          pool: websoft9-eu
          address: 203.0.113.10
          enabled: true
          healthy: false
          failure_reason: "HTTP 503 does not match expected codes 200"
          response_code: 503
          rtt: 12.1ms
    raw:
      description: The health answer as Cloudflare returned it (empty for a pool without a monitor, which is
        not read).
      type: dict
      sample: {pool_id: 17b5962d775c646f3f9725cbc7a53df4, pop_health: {}}
    error:
      description: Why the health of the pool could not be read (the pool then counts as unhealthy).
      type: str
      returned: when the health read failed
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareAPIError,
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.load_balancing import Index, origin_address


def region_entries(health):
    """(region, {healthy, origins}) pairs from a health answer. Cloudflare keys ``pop_health`` by data centre or
    region; the SDK's model reads it as a single entry, which is accepted too."""
    pop_health = (health or {}).get("pop_health") or {}
    if "healthy" in pop_health or "origins" in pop_health:
        return [("all", pop_health)]
    return sorted((k, v) for k, v in pop_health.items() if isinstance(v, dict))


def origin_entries(entry):
    """address -> {healthy, failure_reason, response_code, rtt} from one region entry."""
    out = {}
    for item in entry.get("origins") or []:
        for address, state in (item or {}).items():
            if isinstance(state, dict):
                out[origin_address(address)] = state
    return out


def summarise(pool, health):
    regions = region_entries(health)
    by_region = [(name, entry, origin_entries(entry)) for name, entry in regions]
    origins = []
    for origin in pool.get("origins") or []:
        address = origin_address(origin.get("address"))
        states = [found[address] for _name, _entry, found in by_region if address in found]
        enabled = origin.get("enabled", True) is not False and pool.get("enabled", True) is not False
        if not pool.get("monitor"):
            healthy, reason = enabled, "" if enabled else "disabled"
        elif not states:
            healthy, reason = False, "disabled" if not enabled else "no health data"
        else:
            healthy = enabled and all(s.get("healthy") for s in states)
            failing = [s for s in states if not s.get("healthy")]
            reason = (failing[0].get("failure_reason") or "unhealthy") if failing else ""
        last = states[0] if states else {}
        origins.append({"name": origin.get("name"), "pool": pool.get("name"), "address": origin.get("address"),
                        "enabled": origin.get("enabled", True) is not False, "healthy": bool(healthy),
                        "failure_reason": reason if not healthy else "",
                        "response_code": last.get("response_code"), "rtt": last.get("rtt") or None})
    healthy_origins = sum(1 for o in origins if o["healthy"])
    minimum = pool.get("minimum_origins", 1)
    region_health = dict((name, bool(entry.get("healthy"))) for name, entry, _found in by_region)
    if pool.get("monitor") and region_health:
        healthy = all(region_health.values())
    else:
        healthy = pool.get("enabled", True) is not False and healthy_origins >= minimum
    return {"id": pool["id"], "name": pool.get("name"), "enabled": pool.get("enabled", True) is not False,
            "healthy": bool(healthy), "monitor": pool.get("monitor"), "minimum_origins": minimum,
            "healthy_origins": healthy_origins, "regions": region_health, "origins": origins, "raw": health or {}}


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        pool=dict(type="str"),
        fail_on_unhealthy=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    cf = CloudflareClient(module)
    path = "/accounts/%s/load_balancers/pools" % cf.account_id()
    pools = Index(cf.get(path, what="pools") or [], "name", "pool")
    if module.params["pool"]:
        found, error = pools.find(module.params["pool"])
        if error:
            module.fail_json(msg="pool: %s" % error, pools=[])
        selected = [found]
    else:
        selected = sorted(pools.items, key=lambda p: p.get("name") or "")
    report = []
    for pool in selected:
        health = None
        if pool.get("monitor"):  # a pool without a monitor is not checked: there is nothing to read
            try:
                health = cf.request("GET", "%s/%s/health" % (path, pool["id"]), what="health of pool %s"
                                    % pool.get("name"))
            except CloudflareAPIError as error:
                module.warn("health of pool %s could not be read: %s" % (pool.get("name"), error))
                health = {"result": {"error": str(error)}}
            health = health.get("result") if isinstance(health, dict) and "result" in health else health
        item = summarise(pool, health)
        if health and health.get("error"):
            item["healthy"] = False
            item["error"] = health["error"]
        report.append(item)
    unhealthy = [p["name"] for p in report if not p["healthy"]]
    if module.params["fail_on_unhealthy"] and unhealthy:
        module.fail_json(msg="unhealthy pool(s): %s" % ", ".join(unhealthy), pools=report)
    module.exit_json(changed=False, pools=report)


if __name__ == "__main__":
    main()
