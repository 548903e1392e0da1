#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lb_pool
short_description: Manage a Cloudflare load balancing pool
version_added: 0.1.0
description:
  - Create, update or delete an account-level pool of origins, identified by its O(name).
  - Origins are identified by their name; the order of O(origins) does not matter (Cloudflare returns them
    sorted by name). The list is the whole set; origins not listed are removed.
  - Options left unset are not managed; unset, empty and default values compare equal, so a second run of the
    same task changes nothing.
  - Everything is validated before any write (pool name characters, weights from 0 to 1 in steps of 0.01,
    unique origin names, region codes, latitude with longitude, the monitor exists; in check mode a monitor that
    does not exist yet is a warning, as an earlier task of the play may create it).
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  name:
    description:
      - The pool's name, unique in the account. Letters, digits, hyphens and underscores only.
    type: str
    required: true
  state:
    description:
      - Whether the pool should exist. A pool still used by a load balancer cannot be deleted.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: A human-readable description.
    type: str
  enabled:
    description:
      - Whether the pool receives traffic (default V(true)). A disabled pool counts as unhealthy, so load balancers
        fail over from it.
    type: bool
  minimum_origins:
    description:
      - Healthy origins needed for the pool to count as healthy (default V(1)).
    type: int
  monitor:
    description:
      - The health monitor of the pool, by id or by its description (see M(websoft9.cloudflare.lb_monitor)).
      - An empty string removes the monitor.
    type: str
  origins:
    description:
      - The origins of the pool. Required to create a pool.
    type: list
    elements: dict
    suboptions:
      name:
        description: The origin's name, unique in the pool; its identity.
        type: str
        required: true
      address:
        description:
          - The origin's IPv4 or IPv6 address, or a hostname that resolves to it (not one proxied by Cloudflare).
          - An internal address needs O(origins[].virtual_network_id).
        type: str
        required: true
      enabled:
        description: Whether the origin receives traffic (default V(true)).
        type: bool
      weight:
        description:
          - The share of the pool's traffic, from 0 to 1 in steps of 0.01 (default V(1)). V(0) sends no traffic.
        type: float
      header:
        description:
          - Request headers for this origin. Only C(Host) is supported; its name is compared case-insensitively and
            its value may be a string or a list of strings.
          - Health checks of this origin use this Host header rather than the monitor's.
        type: dict
      port:
        description: The port of the origin; V(0) (the default) means the protocol's port.
        type: int
      virtual_network_id:
        description: The virtual network of an internal (private) origin address.
        type: str
      flatten_cname:
        description: Whether a CNAME origin is flattened to its addresses (default V(true)).
        type: bool
  check_regions:
    description:
      - Regions the health checks run from, for example V(WEU) or V(ENAM) (V(ALL_REGIONS) on Enterprise).
        The order does not matter. An empty list means every data centre (the default).
    type: list
    elements: str
  notification_email:
    description:
      - Deprecated by Cloudflare (use notifications); e-mail addresses for health notifications, comma separated.
    type: str
  notification_filter:
    description:
      - Which health notifications to send, with the keys C(pool) and C(origin), each a mapping of C(healthy) and C(disable) booleans.
    type: dict
  origin_steering:
    description:
      - How origins are picked inside the pool.
    type: dict
    suboptions:
      policy:
        description: V(random) (weighted, the default), V(hash) (of the client IP), V(least_outstanding_requests)
          or V(least_connections).
        type: str
        choices: [random, hash, least_outstanding_requests, least_connections]
  load_shedding:
    description:
      - Shed part of the pool's traffic to the next pool.
    type: dict
    suboptions:
      default_percent:
        description: Percent of new traffic to shed (0 to 100, default 0).
        type: float
      default_policy:
        description: V(random) (default) or V(hash).
        type: str
        choices: [random, hash]
      session_percent:
        description: Percent of session-affinity traffic to shed (0 to 100, default 0).
        type: float
      session_policy:
        description: Only V(hash).
        type: str
        choices: [hash]
  latitude:
    description:
      - Latitude of the pool's data centre, for proximity steering. Requires O(longitude).
    type: float
  longitude:
    description:
      - Longitude of the pool's data centre, for proximity steering. Requires O(latitude).
    type: float
notes:
  - Cloudflare's create call does not take C(check_regions) (per the SDK); when it is set on a new pool the module
    creates the pool and then sets the regions, two writes.
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
"""

EXAMPLES = r"""
- name: Two Websoft9 backends in Europe
  websoft9.cloudflare.lb_pool:
    name: websoft9-eu
    monitor: websoft9-https
    minimum_origins: 1
    check_regions: [WEU, EEU]
    latitude: 50.11
    longitude: 8.68
    origins:
      - name: eu-1
        address: 203.0.113.10
        header:
          Host: app.example.com
      - name: eu-2
        address: 203.0.113.11
        weight: 0.5

- name: Take one origin out of rotation
  websoft9.cloudflare.lb_pool:
    name: websoft9-eu
    origins:
      - {name: eu-1, address: 203.0.113.10, enabled: false}
      - {name: eu-2, address: 203.0.113.11, weight: 0.5}

- name: Delete a pool
  websoft9.cloudflare.lb_pool:
    name: old-pool
    state: absent
"""

RETURN = r"""
pool:
  description:
    - The pool after the task (in check mode, as it would be), as Cloudflare returns it. Empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: The pool's id.
      type: str
      sample: 17b5962d775c646f3f9725cbc7a53df4
    name:
      description: The name.
      type: str
      sample: websoft9-eu
    monitor:
      description: The monitor's id, or null.
      type: str
      sample: f1aba936b94213e5b8dca0c0dbf1f9cc
    origins:
      description: The origins, sorted by name, with their defaults filled in.
      type: list
      elements: dict
      sample:
        - {name: eu-1, address: 203.0.113.10, enabled: true, weight: 1, port: 0, header: {Host: [app.example.com]}}
changed_fields:
  description: The fields that differed and were (or would be) written.
  returned: when an existing pool is changed
  type: list
  elements: str
  sample: [origins]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.load_balancing import (
    ORIGIN_STEERING,
    POOL_DEFAULTS,
    Index,
    canonical_origins,
    check_pool,
    origin_header,
    same_origins,
    same_value,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.resource import Resource

FIELDS = ("name", "description", "enabled", "minimum_origins", "monitor", "origins", "check_regions",
          "notification_email", "notification_filter", "origin_steering", "load_shedding", "latitude", "longitude")
ORIGIN_KEYS = ("name", "address", "enabled", "weight", "header", "port", "virtual_network_id", "flatten_cname")


def _drop_none(value):
    if isinstance(value, dict):
        return dict((k, _drop_none(v)) for k, v in value.items() if v is not None)
    return value


class Pool(Resource):
    kind = "pool"

    def __init__(self, module, cf):
        super(Pool, self).__init__(module, cf)
        self.params = module.params
        self.path = None

    @property
    def what(self):
        return "pool %s" % self.params["name"]

    def given(self):
        body = {}
        for key in FIELDS:
            value = self.params.get(key)
            if value is None:
                continue
            if key == "origins":
                value = [self.origin(o) for o in value]
            elif key in ("origin_steering", "load_shedding", "notification_filter"):
                value = _drop_none(value)
            elif key == "check_regions":
                value = [v.upper() for v in value]
            body[key] = value
        return body

    @staticmethod
    def origin(origin):
        out = dict((k, origin[k]) for k in ORIGIN_KEYS if origin.get(k) is not None)
        if "header" in out:
            out["header"] = origin_header(out["header"])
        if "weight" in out:
            out["weight"] = round(float(out["weight"]), 6)
        return out

    def validate(self):
        if self.params["state"] != "present":
            return
        body = self.given()
        body.setdefault("name", self.params["name"])
        errors = [e for e in check_pool(body) if not (e.startswith("origins:") and "origins" not in body)]
        for index, origin in enumerate(self.params.get("origins") or []):
            for name in (origin.get("header") or {}):
                if name.lower() != "host":
                    errors.append("origins[%d].header: only the Host header is supported on origins (got %r)"
                                  % (index, name))
        if errors:
            self.module.fail_json(msg="; ".join(sorted(set(errors), key=errors.index)), errors=errors)
        enabled = [o for o in body.get("origins") or [] if o.get("enabled", True)]
        if body.get("origins") is not None and body.get("minimum_origins", 1) > len(enabled):
            self.module.warn("minimum_origins %d is more than the %d enabled origins: the pool will always be "
                             "unhealthy" % (body.get("minimum_origins", 1), len(enabled)))

    def find(self):
        account = self.cf.account_id()
        self.path = "/accounts/%s/load_balancers/pools" % account
        pools = Index(self.cf.get(self.path, what="pools") or [], "name", "pool")
        found, error = pools.find(self.params["name"])
        if found is None and error and "does not exist" not in error:
            self.module.fail_json(msg="name: %s; pool names must be unique to identify them" % error)
        return found

    def desired(self, actual):
        body = self.given()
        if actual is None and not body.get("origins"):
            self.module.fail_json(msg="origins: at least one origin is required to create pool %s"
                                  % self.params["name"])
        ref = body.get("monitor")
        if ref:
            path = self.path.replace("/pools", "/monitors")
            monitors = Index(self.cf.get(path, what="monitors") or [], "description", "monitor")
            found, error = monitors.find(ref)
            if error and self.module.check_mode and error.endswith("does not exist"):
                self.module.warn("monitor: %s (check mode: assuming an earlier task creates it)" % error)
            elif error:
                self.module.fail_json(msg="monitor: %s" % error)
            else:
                body["monitor"] = found["id"]
        return body

    def changed_fields(self, desired, actual):
        fields = []
        for key, value in desired.items():
            if key == "origins":
                same = same_origins(value, actual.get("origins"))
            elif key == "check_regions":
                same = sorted(value) == sorted(actual.get("check_regions") or [])
            elif key == "monitor":
                same = (value or None) == (actual.get("monitor") or None)
            else:
                same = same_value(value, actual.get(key), POOL_DEFAULTS.get(key))
            if not same:
                fields.append(key)
        return sorted(fields)

    def merged(self, actual, body):
        """The full pool for PUT: the actual pool with the task's fields; an origin keeps the fields the task
        left unset."""
        base = dict((k, v) for k, v in (actual or {}).items() if k in FIELDS and v is not None)
        have = dict((o["name"], o) for o in (actual or {}).get("origins") or [])
        if actual:
            base["origins"] = [dict((k, v) for k, v in o.items() if k in ORIGIN_KEYS and v is not None)
                               for o in actual.get("origins") or []]
        for key, value in body.items():
            if key == "origins":
                origins = []
                for origin in value:
                    merged = dict((k, v) for k, v in have.get(origin["name"], {}).items()
                                  if k in ORIGIN_KEYS and v is not None)
                    merged.update(origin)
                    origins.append(merged)
                base["origins"] = origins
            elif key in ("origin_steering", "load_shedding"):
                merged = dict(base.get(key) or {})
                merged.update(value)
                base[key] = merged
            else:
                base[key] = value
        if base.get("monitor") == "":
            base.pop("monitor")
        if not base.get("check_regions"):
            base.pop("check_regions", None)
        return base

    def create(self, body):
        body = self.merged(None, body)
        regions = body.pop("check_regions", None)
        pool = self.cf.post(self.path, body, what=self.what, reconcile=self.reconcile)
        if regions:
            pool = self.cf.patch("%s/%s" % (self.path, pool["id"]), {"check_regions": regions}, what=self.what)
        return pool

    def reconcile(self):
        found = [p for p in self.cf.get(self.path, what="pools") or [] if p.get("name") == self.params["name"]]
        return found[0] if len(found) == 1 else None

    def update(self, actual, body, changed_fields):
        merged = self.merged(actual, body)
        if "check_regions" in body and not body["check_regions"]:
            merged["check_regions"] = None
        return self.cf.put("%s/%s" % (self.path, actual["id"]), merged, what=self.what)

    def delete(self, actual):
        self.cf.delete("%s/%s" % (self.path, actual["id"]), what=self.what)

    def planned(self, actual, body):
        planned = dict(actual or {"enabled": True, "minimum_origins": 1, "description": "", "monitor": None,
                                  "check_regions": None, "origin_steering": {"policy": "random"},
                                  "load_shedding": POOL_DEFAULTS["load_shedding"]})
        planned.update(self.merged(actual, body))
        if "origins" in planned:
            planned["origins"] = canonical_origins(planned["origins"])
        if body.get("monitor") == "":
            planned["monitor"] = None
        return planned


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str"),
        enabled=dict(type="bool"),
        minimum_origins=dict(type="int"),
        monitor=dict(type="str"),
        origins=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            address=dict(type="str", required=True),
            enabled=dict(type="bool"),
            weight=dict(type="float"),
            header=dict(type="dict"),
            port=dict(type="int"),
            virtual_network_id=dict(type="str"),
            flatten_cname=dict(type="bool"),
        )),
        check_regions=dict(type="list", elements="str"),
        notification_email=dict(type="str"),
        notification_filter=dict(type="dict"),
        origin_steering=dict(type="dict", options=dict(
            policy=dict(type="str", choices=list(ORIGIN_STEERING)),
        )),
        load_shedding=dict(type="dict", options=dict(
            default_percent=dict(type="float"),
            default_policy=dict(type="str", choices=["random", "hash"]),
            session_percent=dict(type="float"),
            session_policy=dict(type="str", choices=["hash"]),
        )),
        latitude=dict(type="float"),
        longitude=dict(type="float"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_together=[("latitude", "longitude")])
    Pool(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
