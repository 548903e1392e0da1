#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ip_access_rule
short_description: Allow, block or challenge an IP address, range, ASN or country on Cloudflare
version_added: 0.1.0
description:
  - Manage a Cloudflare IP Access rule for one zone, or for every zone of an account.
  - The rule is identified by its target and value. Values are compared in canonical form, so V(2001:DB8::0:1)
    and V(2001:db8::1), V(AS13335) and V(13335), V(de) and V(DE) are the same rule.
  - IP ranges are checked before any request; Cloudflare accepts only V(/16) and V(/24) IPv4 ranges and V(/32),
    V(/48) and V(/64) IPv6 ranges. Use O(target=ip) (or O(target=ip6)) for a single address.
  - "Requests: the zone lookup (zone level), one filtered listing to find the rule, then at most one create,
    update (mode and notes only) or delete."
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone (name or id) for a zone-level rule.
      - When not set, the rule is an account-level rule that applies to every zone of the account
        (O(account_id), or the only account the credentials can see).
    type: str
    aliases: [zone_id]
  target:
    description:
      - What O(value) is. When not set it is inferred from O(value); an address is V(ip) or V(ip6), a network
        V(ip_range), V(AS64500) or a number V(asn), two letters V(country).
    type: str
    choices: [ip, ip6, ip_range, asn, country]
  value:
    description:
      - The IPv4/IPv6 address, the range in CIDR notation, the AS number (V(AS13335) or V(13335)), or the
        ISO-3166-1 alpha-2 country code (V(T1) is Tor).
    type: str
    required: true
  mode:
    description:
      - What to do with matching requests. V(allow) is sent as V(whitelist), the API's name for it.
      - Required when O(state=present).
    type: str
    choices: [allow, whitelist, block, challenge, js_challenge, managed_challenge]
  notes:
    description:
      - A note stored with the rule. When not set, an existing rule keeps its notes and a new rule has none.
    type: str
  state:
    description: Whether the rule should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
"""

EXAMPLES = r"""
- name: Block an address on one zone
  websoft9.cloudflare.ip_access_rule:
    zone: example.com
    value: 198.51.100.7
    mode: block
    notes: abuse ticket 4711

- name: Allow the office network on every zone of the account
  websoft9.cloudflare.ip_access_rule:
    account_id: "{{ cloudflare_account_id }}"
    target: ip_range
    value: 192.0.2.0/24
    mode: allow

- name: Challenge an ASN and a country
  websoft9.cloudflare.ip_access_rule:
    zone: example.com
    value: "{{ item }}"
    mode: managed_challenge
  loop: [AS64500, XX]

- name: Remove a rule
  websoft9.cloudflare.ip_access_rule:
    zone: example.com
    value: 198.51.100.7
    state: absent
"""

RETURN = r"""
rule:
  description: The rule after the task (in check mode, as it would be); empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: The rule's id.
      type: str
    mode:
      description: The action as the API names it (V(whitelist) for allow).
      type: str
      sample: block
    configuration:
      description: The target and the value, in the API's canonical form.
      type: dict
      sample: {target: asn, value: AS64500}
    notes:
      description: The notes.
      type: str
    scope:
      description: Where the rule applies (the zone, or the account).
      type: dict
changed_fields:
  description: The fields that differed and were (or would be) changed.
  returned: when an existing rule is changed
  type: list
  elements: str
  sample: [mode]
"""

import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.resource import Resource

IPV4_RANGES = (16, 24)
IPV6_RANGES = (32, 48, 64)
ASN = re.compile(r"^(?:AS)?(\d{1,10})$", re.I)
COUNTRY = re.compile(r"^[A-Za-z][A-Za-z0-9]$")


class TargetError(ValueError):
    pass


def infer_target(value):
    value = value.strip()
    try:
        address = ipaddress.ip_address(value)
        return "ip" if address.version == 4 else "ip6"
    except ValueError:
        pass
    if "/" in value:
        return "ip_range"
    if ASN.match(value):
        return "asn"
    if COUNTRY.match(value):
        return "country"
    raise TargetError("value: %r is not an IP address, an IP range, an AS number or a country code" % value)


def canonical(target, value):
    """(target, value) as the API stores them; TargetError naming the problem."""
    value = (value or "").strip()
    if target in ("ip", "ip6"):
        text = value[:-3] if value.endswith("/32") and target == "ip" else value
        text = text[:-4] if text.endswith("/128") and target == "ip6" else text
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise TargetError("value: %r is not an IPv%s address" % (value, "4" if target == "ip" else "6"))
        if (address.version == 4) != (target == "ip"):
            raise TargetError("value: %r is an IPv%d address; use target %s" % (
                value, address.version, "ip" if address.version == 4 else "ip6"))
        return target, str(address)
    if target == "ip_range":
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise TargetError("value: %r is not an IP range in CIDR notation" % value)
        allowed = IPV4_RANGES if network.version == 4 else IPV6_RANGES
        if network.prefixlen not in allowed:
            hint = " (for a single address use target %s)" % ("ip" if network.version == 4 else "ip6") \
                if network.prefixlen == network.max_prefixlen else ""
            raise TargetError("value: %r: Cloudflare accepts only %s IPv%d ranges%s" % (
                value, " and ".join("/%d" % p for p in allowed), network.version, hint))
        try:
            ipaddress.ip_network(value, strict=True)
        except ValueError:
            raise TargetError("value: %r has host bits set; the range is %s" % (value, network))
        return target, str(network)
    if target == "asn":
        found = ASN.match(value)
        if not found or int(found.group(1)) > 4294967295:
            raise TargetError("value: %r is not an AS number (AS13335 or 13335)" % value)
        return target, "AS%d" % int(found.group(1))
    if target == "country":
        if not COUNTRY.match(value):
            raise TargetError("value: %r is not a two-letter ISO-3166-1 alpha-2 country code" % value)
        return target, value.upper()
    raise TargetError("target: %r is not one of ip, ip6, ip_range, asn, country" % target)


def canonical_of(rule):
    config = (rule or {}).get("configuration") or {}
    try:
        return canonical(config.get("target"), config.get("value"))
    except TargetError:
        return config.get("target"), config.get("value")


class IPAccessRule(Resource):
    kind = "rule"
    defaults = {"notes": ""}

    def validate(self):
        params = self.module.params
        try:
            target = params["target"] or infer_target(params["value"])
            self.target, self.value = canonical(target, params["value"])
        except TargetError as exc:
            self.module.fail_json(msg=str(exc))
        if params["state"] == "present" and not params["mode"]:
            self.module.fail_json(msg="mode is required when state is present")
        self.mode = "whitelist" if params["mode"] == "allow" else params["mode"]

    @property
    def path(self):
        if not hasattr(self, "_path"):
            if self.module.params["zone"]:
                self.zone = self.cf.zone(self.module.params["zone"])
                self._path = "/zones/%s/firewall/access_rules/rules" % self.zone["id"]
                self.scope_types = ("zone",)
            else:
                self.zone = None
                self._path = "/accounts/%s/firewall/access_rules/rules" % self.cf.account_id()
                self.scope_types = ("organization", "account")
        return self._path

    @property
    def what(self):
        where = self.zone["name"] if self.zone else "account"
        return "IP access rule %s %s (%s)" % (self.target, self.value, where)

    def find(self):
        path = self.path
        found = self.cf.list(path, query={"configuration.target": self.target, "configuration.value": self.value,
                                          "match": "all"}, what=self.what, per_page=100)
        for rule in found:
            scope = rule.get("scope") or {}
            if scope.get("type") and scope.get("type") not in self.scope_types:
                continue  # an account rule shown in a zone listing: not this zone's rule
            if canonical_of(rule) == (self.target, self.value):
                return rule
        return None

    def desired(self, actual):
        return {"mode": self.mode, "notes": self.module.params["notes"]}

    def create(self, body):
        # notes is required on create in the OpenAPI description (optional in the SDK): always sent
        payload = {"configuration": {"target": self.target, "value": self.value}, "mode": body["mode"],
                   "notes": body.get("notes") or ""}
        return self.cf.post(self.path, payload, what=self.what, reconcile=self.find)

    def update(self, actual, body, changed_fields):
        payload = {"mode": body["mode"]}
        if body.get("notes") is not None:
            payload["notes"] = body["notes"]
        return self.cf.patch("%s/%s" % (self.path, actual["id"]), payload, what=self.what)

    def delete(self, actual):
        self.cf.delete("%s/%s" % (self.path, actual["id"]), what=self.what)

    def planned(self, actual, body):
        if actual is None:
            actual = {"configuration": {"target": self.target, "value": self.value}, "notes": ""}
        return super(IPAccessRule, self).planned(actual, body)

    def view(self, obj):
        return dict((k, obj[k]) for k in ("id", "mode", "configuration", "notes", "scope", "allowed_modes",
                                          "created_on", "modified_on") if k in obj)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", aliases=["zone_id"]),
        target=dict(type="str", choices=["ip", "ip6", "ip_range", "asn", "country"]),
        value=dict(type="str", required=True),
        mode=dict(type="str", choices=["allow", "whitelist", "block", "challenge", "js_challenge",
                                       "managed_challenge"]),
        notes=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    IPAccessRule(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
