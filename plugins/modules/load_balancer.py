#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: load_balancer
short_description: Manage a Cloudflare load balancer
version_added: 0.1.0
description:
  - Create, update or delete a zone's load balancer, identified by its hostname (O(name)) in O(zone).
  - Pools are given by name or id everywhere (O(default_pools), O(fallback_pool), the steering maps,
    O(random_steering.pool_weights) and the overrides of O(rules)); the module sends ids.
  - Options left unset are not managed. Unset, empty and default values compare equal (for example
    an empty C(country_pools) and session affinity attributes at Cloudflare's defaults), so a second run changes nothing.
  - Everything is validated before any write (pools that exist, region, country and data centre codes, affinity
    TTL ranges per affinity type, header counts per plan, weights from 0 to 1, TTL only without proxying).
    In check mode a pool that does not exist yet is a warning, as an earlier task of the play may create it.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description: The zone, by name or id.
    type: str
    required: true
  name:
    description:
      - The load balancer's hostname, as an FQDN or relative to O(zone) (V(@) is the apex).
    type: str
    required: true
  state:
    description: Whether the load balancer should exist.
    type: str
    choices: [present, absent]
    default: present
  default_pools:
    description:
      - Pools in failover order, by name or id. Required to create.
    type: list
    elements: str
  fallback_pool:
    description:
      - The pool (name or id) that serves when no other pool is healthy. Required to create.
    type: str
  description:
    description: A description.
    type: str
  enabled:
    description: Whether the load balancer answers (default V(true)).
    type: bool
  proxied:
    description: Whether traffic is proxied by Cloudflare (orange cloud; default V(false)).
    type: bool
  ttl:
    description:
      - DNS TTL of the answers of a non-proxied load balancer (default 30). Not allowed with O(proxied=true).
    type: int
  steering_policy:
    description:
      - V(off) (default_pools in order), V(geo) (region, country and data centre maps), V(random) (weighted by
        O(random_steering)), V(dynamic_latency) (lowest round-trip time; needs monitors), V(proximity) (pool
        coordinates), V(least_outstanding_requests), V(least_connections), or an empty string (Cloudflare's
        default, which means V(geo) when a map is set, else V(off)).
    type: str
    choices: ["off", geo, random, dynamic_latency, proximity, least_outstanding_requests, least_connections, ""]
  session_affinity:
    description:
      - V(none) (default), V(cookie), V(ip_cookie) (the first choice follows the client IP) or V(header)
        (sessions keyed on O(session_affinity_attributes.headers)). Only proxied load balancers keep sessions.
    type: str
    choices: [none, cookie, ip_cookie, header]
  session_affinity_ttl:
    description:
      - Seconds a session lasts. V(cookie) and V(ip_cookie) accept 1800 to 604800 (default 82800, 23 hours);
        V(header) accepts 30 to 3600 (default 1800).
    type: int
  session_affinity_attributes:
    description: Attributes of session affinity.
    type: dict
    suboptions:
      samesite:
        description: SameSite of the cookie (default V(Auto)).
        type: str
        choices: [Auto, Lax, None, Strict]
      secure:
        description: Secure flag of the cookie (default V(Auto)). Cannot be V(Never) with O(session_affinity_attributes.samesite=None).
        type: str
        choices: [Auto, Always, Never]
      zero_downtime_failover:
        description:
          - What happens to a session whose origin fails before the monitors notice (default V(none));
            V(temporary) serves another origin and keeps the session, V(sticky) moves the session (not with
            O(session_affinity=header)).
        type: str
        choices: [none, temporary, sticky]
      drain_duration:
        description: Seconds sessions drain from a disabled origin (default 0).
        type: int
      headers:
        description:
          - Header names that key the sessions for O(session_affinity=header); at most one name, five on
            Enterprise. V(cookie:name1,name2) uses cookies.
        type: list
        elements: str
      require_all_headers:
        description: Whether every header must be present to create a session (default V(false)).
        type: bool
  region_pools:
    description:
      - Region code (for example V(WNAM), V(WEU)) to pools (names or ids) in failover order, for geo steering.
        An empty mapping removes every entry.
    type: dict
  country_pools:
    description:
      - ISO country code (for example V(US), V(DE)) to pools in failover order, for geo steering.
    type: dict
  pop_pools:
    description:
      - Cloudflare data centre code (for example V(LAX)) to pools in failover order (Enterprise only).
    type: dict
  random_steering:
    description: Pool weights for V(random) and the V(least_*) policies.
    type: dict
    suboptions:
      default_weight:
        description: Weight of pools not in O(random_steering.pool_weights), from 0 to 1 (default 1).
        type: float
      pool_weights:
        description: Pool (name or id) to weight, from 0 to 1.
        type: dict
  adaptive_routing:
    description: Zero-downtime failover across pools.
    type: dict
    suboptions:
      failover_across_pools:
        description: Retry a failing request on the next pools too, not only inside the pool (default V(false)).
        type: bool
  location_strategy:
    description: How the client's location is found for non-proxied requests.
    type: dict
    suboptions:
      mode:
        description: V(pop) (default) or V(resolver_ip).
        type: str
        choices: [pop, resolver_ip]
      prefer_ecs:
        description: When the EDNS Client Subnet wins (default V(proximity)).
        type: str
        choices: [always, never, proximity, geo]
  rules:
    description:
      - Load balancing rules, evaluated in O(rules[].priority) order. The list is the whole set.
    type: list
    elements: dict
    suboptions:
      name:
        description: A name, for humans.
        type: str
      condition:
        description: A rule expression, for example C(http.request.uri.path contains "/api"); empty always matches.
        type: str
      priority:
        description: Order of evaluation, lowest first (default 0).
        type: int
      disabled:
        description: Skip this rule (default V(false)).
        type: bool
      terminates:
        description: Stop evaluating further rules when this one matches (default V(false); V(true) with a fixed response).
        type: bool
      fixed_response:
        description: Answer directly with C(status_code), C(content_type), C(location) and C(message_body).
        type: dict
      overrides:
        description:
          - Settings that replace the load balancer's when the rule matches (default_pools, fallback_pool, the
            maps, steering_policy, session affinity, ttl, ...), with pools by name or id.
        type: dict
notes:
  - The emulator of this collection answers which pool and origin Cloudflare would pick (POST
    C(/__emulator__/lb/steer)), so steering, affinity and failover can be checked offline.
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
"""

EXAMPLES = r"""
- name: Geo-steered, proxied load balancer with cookie affinity over two Websoft9 pools
  websoft9.cloudflare.load_balancer:
    zone: example.com
    name: app
    proxied: true
    default_pools: [websoft9-eu, websoft9-us]
    fallback_pool: websoft9-us
    steering_policy: geo
    region_pools:
      WNAM: [websoft9-us, websoft9-eu]
      ENAM: [websoft9-us, websoft9-eu]
    country_pools:
      DE: [websoft9-eu]
    session_affinity: cookie
    session_affinity_ttl: 3600
    session_affinity_attributes:
      samesite: Lax
      secure: Always
      zero_downtime_failover: sticky

- name: Weighted random steering
  websoft9.cloudflare.load_balancer:
    zone: example.com
    name: canary.example.com
    default_pools: [stable, canary]
    fallback_pool: stable
    steering_policy: random
    random_steering:
      default_weight: 1
      pool_weights:
        canary: 0.1

- name: Remove it
  websoft9.cloudflare.load_balancer:
    zone: example.com
    name: canary
    state: absent
"""

RETURN = r"""
load_balancer:
  description:
    - The load balancer after the task (in check mode, as it would be), as Cloudflare returns it (pools by id).
      Empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: The load balancer's id.
      type: str
      sample: 699d98642c564d2e855e9661899b7252
    name:
      description: The hostname.
      type: str
      sample: app.example.com
    default_pools:
      description: Pool ids in failover order.
      type: list
      elements: str
      sample: [17b5962d775c646f3f9725cbc7a53df4]
    fallback_pool:
      description: The fallback pool's id.
      type: str
      sample: 17b5962d775c646f3f9725cbc7a53df4
    steering_policy:
      description: The steering policy.
      type: str
      sample: geo
changed_fields:
  description: The fields that differed and were (or would be) written.
  returned: when an existing load balancer is changed
  type: list
  elements: str
  sample: [default_pools, session_affinity]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.load_balancing import (
    AFFINITY_TTL,
    LB_DEFAULTS,
    RULE_DEFAULTS,
    SESSION_AFFINITIES,
    STEERING_POLICIES,
    Index,
    check_affinity,
    check_steering_maps,
    resolve_pool_refs,
    same_value,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import fqdn
from ansible_collections.websoft9.cloudflare.plugins.module_utils.resource import Resource

FIELDS = ("name", "default_pools", "fallback_pool", "description", "enabled", "proxied", "ttl", "steering_policy",
          "session_affinity", "session_affinity_ttl", "session_affinity_attributes", "region_pools",
          "country_pools", "pop_pools", "random_steering", "adaptive_routing", "location_strategy", "rules",
          "networks")
MAPS = ("region_pools", "country_pools", "pop_pools")
NESTED = ("session_affinity_attributes", "random_steering", "adaptive_routing", "location_strategy")
OVERRIDES = ("adaptive_routing", "country_pools", "default_pools", "fallback_pool", "location_strategy",
             "pop_pools", "random_steering", "region_pools", "session_affinity", "session_affinity_attributes",
             "session_affinity_ttl", "steering_policy", "ttl")


def _drop_none(value):
    if isinstance(value, dict):
        return dict((k, _drop_none(v)) for k, v in value.items() if v is not None)
    return value


def _map(value):
    """A steering map with upper-case codes and list values; entries with no pools are dropped."""
    return dict((str(code).strip().upper(), list(pools if isinstance(pools, list) else [pools]))
                for code, pools in (value or {}).items() if pools)


def _same_map(desired, actual):
    return _map(desired) == _map(actual)


def _canonical_rule(rule):
    out = dict(RULE_DEFAULTS)
    out.update(dict((k, v) for k, v in (rule or {}).items() if v is not None))
    if "terminates" not in (rule or {}) or rule.get("terminates") is None:
        out["terminates"] = bool(out.get("fixed_response"))
    out["overrides"] = _drop_none(out.get("overrides") or {})
    for key in MAPS:
        if key in out["overrides"]:
            out["overrides"][key] = _map(out["overrides"][key])
    out["fixed_response"] = _drop_none(out.get("fixed_response") or {})
    return out


def _same_rules(desired, actual):
    want = [_canonical_rule(r) for r in desired or []]
    have = [_canonical_rule(r) for r in actual or []]
    if len(want) != len(have):
        return False
    for w, h in zip(want, have):
        for key in ("name", "condition", "disabled", "priority", "terminates"):
            if not same_value(w.get(key), h.get(key), RULE_DEFAULTS.get(key)):
                return False
        if not same_value(w["fixed_response"], h.get("fixed_response") or {}) or \
                not same_value(h.get("fixed_response") or {}, w["fixed_response"]):
            return False
        if not _same_overrides(w["overrides"], h.get("overrides") or {}):
            return False
    return True


def _same_overrides(desired, actual):
    keys = set(desired) | set(k for k, v in actual.items() if v not in (None, {}, [], ""))
    for key in keys:
        if key in MAPS:
            same = _same_map(desired.get(key), actual.get(key))
        else:
            same = same_value(desired.get(key), actual.get(key)) and same_value(actual.get(key), desired.get(key))
        if not same:
            return False
    return True


class LoadBalancer(Resource):
    kind = "load_balancer"

    def __init__(self, module, cf):
        super(LoadBalancer, self).__init__(module, cf)
        self.params = module.params
        self.zone = None
        self.path = None

    @property
    def hostname(self):
        return fqdn(self.params["name"], self.zone["name"]) if self.zone else self.params["name"]

    @property
    def what(self):
        return "load balancer %s" % self.hostname

    def given(self):
        body = {}
        for key in FIELDS:
            value = self.params.get(key)
            if value is None or key == "name":
                continue
            if key in MAPS:
                value = _map(value)
            elif key in NESTED:
                value = _drop_none(value)
            elif key == "rules":
                value = [self.rule(r) for r in value]
            body[key] = value
        return body

    @staticmethod
    def rule(rule):
        out = dict((k, v) for k, v in rule.items() if v is not None)
        if "overrides" in out:
            overrides = _drop_none(out["overrides"])
            for key in MAPS:
                if key in overrides:
                    overrides[key] = _map(overrides[key])
            out["overrides"] = overrides
        return out

    def check(self, body, enterprise):
        errors = []
        check_steering_maps(body, errors, enterprise=enterprise)
        affinity = body.get("session_affinity")
        errors.extend(check_affinity(affinity, body.get("session_affinity_ttl") if affinity else None,
                                     body.get("session_affinity_attributes"), enterprise=enterprise))
        if body.get("proxied") and body.get("ttl") is not None:
            errors.append("ttl: applies only to non-proxied load balancers (proxied answers use Cloudflare's "
                          "addresses with an automatic TTL); remove ttl or set proxied: false")
        for index, rule in enumerate(body.get("rules") or []):
            where = "rules[%d]." % index
            if rule.get("priority") is not None and rule["priority"] < 0:
                errors.append("%spriority: must not be negative" % where)
            status = (rule.get("fixed_response") or {}).get("status_code")
            if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
                errors.append("%sfixed_response.status_code: must be an HTTP status code" % where)
            overrides = rule.get("overrides") or {}
            unknown = sorted(set(overrides) - set(OVERRIDES))
            if unknown:
                errors.append("%soverrides: unknown field(s) %s (allowed: %s)"
                              % (where, ", ".join(unknown), ", ".join(OVERRIDES)))
            check_steering_maps(overrides, errors, enterprise=enterprise, where=where + "overrides.")
            if overrides.get("session_affinity") or overrides.get("session_affinity_ttl") is not None:
                for error in check_affinity(overrides.get("session_affinity") or affinity,
                                            overrides.get("session_affinity_ttl"),
                                            overrides.get("session_affinity_attributes"), enterprise=enterprise):
                    errors.append(where + "overrides." + error)
        return errors

    def fail(self, errors):
        self.module.fail_json(msg="; ".join(errors), errors=errors)

    def validate(self):
        if self.params["state"] == "present":
            errors = self.check(self.given(), enterprise=True)
            if errors:
                self.fail(errors)

    def find(self):
        self.zone = self.cf.zone(self.params["zone"])
        self.path = "/zones/%s/load_balancers" % self.zone["id"]
        found = [lb for lb in self.cf.get(self.path, what="load balancers") or [] if lb.get("name") == self.hostname]
        return found[0] if found else None

    def desired(self, actual):
        body = self.given()
        enterprise = (self.zone.get("plan") or {}).get("legacy_id") == "enterprise"
        if not actual:
            missing = [k for k in ("default_pools", "fallback_pool") if not body.get(k)]
            if missing:
                self.fail(["%s: is required to create load balancer %s" % (k, self.hostname) for k in missing])
        errors = self.check(self.merged(actual, body), enterprise=enterprise)
        affinity = body.get("session_affinity") or (actual or {}).get("session_affinity") or "none"
        if body.get("session_affinity_ttl") is not None and affinity == "none":
            errors.append("session_affinity_ttl: applies only with session_affinity cookie, ip_cookie or header "
                          "(session_affinity is none)")
        if errors:
            self.fail(errors)
        account = (self.zone.get("account") or {}).get("id") or self.cf.account_id()
        pool_list = self.cf.get("/accounts/%s/load_balancers/pools" % account, what="pools") or []
        pools = Index(pool_list, "name", "pool")
        resolve_pool_refs(body, pools, errors)
        for index, rule in enumerate(body.get("rules") or []):
            if rule.get("overrides"):
                resolve_pool_refs(rule["overrides"], pools, errors, where="rules[%d].overrides." % index)
        if errors and self.module.check_mode and all(e.endswith("does not exist") for e in errors):
            # In check mode the pools may be planned by an earlier task of the same play.
            for error in errors:
                self.module.warn("%s (check mode: assuming an earlier task creates it)" % error)
            errors = []
        if errors:
            self.fail(errors)
        merged = self.merged(actual, body)
        if merged.get("steering_policy") == "dynamic_latency":
            bare = [pools.by_id[p]["name"] for p in merged.get("default_pools") or []
                    if p in pools.by_id and not pools.by_id[p].get("monitor")]
            if bare:
                self.fail(["steering_policy: dynamic_latency needs a monitor on every default pool (%s %s none)"
                           % (", ".join(bare), "has" if len(bare) == 1 else "have")])
        if merged.get("steering_policy") == "proximity":
            bare = [pools.by_id[p]["name"] for p in merged.get("default_pools") or []
                    if p in pools.by_id and pools.by_id[p].get("latitude") is None]
            if bare:
                self.module.warn("proximity steering: pool(s) %s have no latitude/longitude and come last"
                                 % ", ".join(bare))
        return body

    def changed_fields(self, desired, actual):
        fields = []
        affinity = desired.get("session_affinity") or actual.get("session_affinity") or "none"
        for key, value in desired.items():
            have = actual.get(key)
            if key in MAPS:
                same = _same_map(value, have)
            elif key == "default_pools":
                same = list(value) == list(have or [])
            elif key == "rules":
                same = _same_rules(value, have)
            elif key == "random_steering":
                have = have or {}
                same = same_value(value.get("default_weight"), have.get("default_weight"), 1) and (
                    "pool_weights" not in value or
                    same_value(value["pool_weights"], have.get("pool_weights") or {}) and
                    same_value(have.get("pool_weights") or {}, value["pool_weights"]))
            elif key == "session_affinity_attributes":
                attrs = dict(value)
                headers = attrs.pop("headers", None)
                same = same_value(attrs, have, LB_DEFAULTS[key]) and (
                    headers is None or list(headers) == list((have or {}).get("headers") or []))
            elif key == "session_affinity_ttl":
                same = same_value(value, have, AFFINITY_TTL.get(affinity, (0, 0, None))[2])
            else:
                same = same_value(value, have, LB_DEFAULTS.get(key))
            if not same:
                fields.append(key)
        return sorted(fields)

    def merged(self, actual, body):
        base = dict((k, v) for k, v in (actual or {}).items() if k in FIELDS and v is not None)
        base["name"] = self.hostname
        old_affinity = base.get("session_affinity") or "none"
        for key, value in body.items():
            if key in NESTED and key != "random_steering":
                merged = dict(base.get(key) or {})
                merged.update(value)
                base[key] = merged
            elif key == "random_steering":
                merged = dict(base.get(key) or {})
                merged.update(value)
                base[key] = merged
            else:
                base[key] = value
        new_affinity = base.get("session_affinity") or "none"
        if new_affinity != old_affinity and "session_affinity_ttl" not in body:
            base.pop("session_affinity_ttl", None)
        if new_affinity == "none":
            base.pop("session_affinity_ttl", None)
        if base.get("proxied") and "ttl" not in body:
            base.pop("ttl", None)
        return base

    def create(self, body):
        return self.cf.post(self.path, self.merged(None, body), what=self.what, reconcile=self.find)

    def update(self, actual, body, changed_fields):
        return self.cf.put("%s/%s" % (self.path, actual["id"]), self.merged(actual, body), what=self.what)

    def delete(self, actual):
        self.cf.delete("%s/%s" % (self.path, actual["id"]), what=self.what)

    def planned(self, actual, body):
        if actual is None:
            planned = dict(LB_DEFAULTS)
            planned["zone_name"] = self.zone["name"]
        else:
            planned = dict(actual)
        planned.update(self.merged(actual, body))
        affinity = planned.get("session_affinity") or "none"
        if affinity in AFFINITY_TTL and planned.get("session_affinity_ttl") is None:
            planned["session_affinity_ttl"] = AFFINITY_TTL[affinity][2]
        return planned


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        default_pools=dict(type="list", elements="str"),
        fallback_pool=dict(type="str"),
        description=dict(type="str"),
        enabled=dict(type="bool"),
        proxied=dict(type="bool"),
        ttl=dict(type="int"),
        steering_policy=dict(type="str", choices=list(STEERING_POLICIES)),
        session_affinity=dict(type="str", choices=list(SESSION_AFFINITIES)),
        session_affinity_ttl=dict(type="int"),
        session_affinity_attributes=dict(type="dict", options=dict(
            samesite=dict(type="str", choices=["Auto", "Lax", "None", "Strict"]),
            secure=dict(type="str", choices=["Auto", "Always", "Never"]),
            zero_downtime_failover=dict(type="str", choices=["none", "temporary", "sticky"]),
            drain_duration=dict(type="int"),
            headers=dict(type="list", elements="str", no_log=False),
            require_all_headers=dict(type="bool"),
        )),
        region_pools=dict(type="dict"),
        country_pools=dict(type="dict"),
        pop_pools=dict(type="dict"),
        random_steering=dict(type="dict", options=dict(
            default_weight=dict(type="float"),
            pool_weights=dict(type="dict"),
        )),
        adaptive_routing=dict(type="dict", options=dict(
            failover_across_pools=dict(type="bool"),
        )),
        location_strategy=dict(type="dict", options=dict(
            mode=dict(type="str", choices=["pop", "resolver_ip"]),
            prefer_ecs=dict(type="str", choices=["always", "never", "proximity", "geo"]),
        )),
        rules=dict(type="list", elements="dict", options=dict(
            name=dict(type="str"),
            condition=dict(type="str"),
            priority=dict(type="int"),
            disabled=dict(type="bool"),
            terminates=dict(type="bool"),
            fixed_response=dict(type="dict"),
            overrides=dict(type="dict"),
        )),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    LoadBalancer(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
