#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone
short_description: Manage a Cloudflare zone
version_added: 0.1.0
description:
  - Create, update (type, paused) or delete a Cloudflare zone.
  - The zone is identified by its name; Cloudflare stores names in lower case without a trailing dot, and so
    does this module when it compares.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  name:
    description:
      - The domain name of the zone, for example V(example.com).
    type: str
    required: true
    aliases: [zone]
  state:
    description:
      - Whether the zone should exist.
      - V(absent) deletes the zone and every record and setting in it.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - V(full) makes Cloudflare authoritative for the domain; V(partial) is a CNAME set-up, where DNS stays with
        another provider.
      - When not set, a new zone is V(full) and an existing zone keeps its type.
    type: str
    choices: [full, partial]
  paused:
    description:
      - Pause Cloudflare for the zone. DNS answers continue, but traffic is no longer proxied.
      - When not set, a new zone is not paused and an existing zone keeps its state.
    type: bool
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
"""

EXAMPLES = r"""
- name: Put example.com on Cloudflare
  websoft9.cloudflare.zone:
    name: example.com
    api_token: "{{ cloudflare_api_token }}"
  register: zone

- name: Show the name servers to set at the registrar
  ansible.builtin.debug:
    var: zone.zone.name_servers

- name: Pause Cloudflare on a zone (credentials from module_defaults)
  module_defaults:
    group/websoft9.cloudflare.cloudflare:
      api_token: "{{ cloudflare_api_token }}"
      account_id: "{{ cloudflare_account_id }}"
  websoft9.cloudflare.zone:
    name: example.com
    paused: true

- name: Delete a zone
  websoft9.cloudflare.zone:
    name: old.example.com
    state: absent
"""

RETURN = r"""
zone:
  description:
    - The zone after the task (in check mode, as it would be). Empty when the zone is absent.
  returned: always
  type: dict
  contains:
    id:
      description: The zone's id.
      type: str
      sample: 023e105f4ecef8ad9ca31a8372d0c353
    name:
      description: The domain name.
      type: str
      sample: example.com
    status:
      description: V(pending) until the registrar points at Cloudflare's name servers, then V(active).
      type: str
      sample: pending
    type:
      description: V(full) or V(partial).
      type: str
      sample: full
    paused:
      description: Whether Cloudflare is paused for the zone.
      type: bool
      sample: false
    name_servers:
      description: The Cloudflare name servers assigned to the zone.
      type: list
      elements: str
      sample: [ada.ns.cloudflare.com, bob.ns.cloudflare.com]
    account:
      description: The account that owns the zone.
      type: dict
      sample: {id: 01a7362d577a6c3019a474fd6f485823, name: Websoft9}
    verification_key:
      description: For a V(partial) zone, the TXT verification value.
      type: str
      returned: when the zone is partial
changed_fields:
  description: The fields that differed and were (or would be) written.
  returned: when an existing zone is changed
  type: list
  elements: str
  sample: [paused]
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import hostname
from ansible_collections.websoft9.cloudflare.plugins.module_utils.resource import Resource

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
VIEW_FIELDS = ("id", "name", "status", "type", "paused", "name_servers", "original_name_servers", "account",
               "plan", "development_mode", "created_on", "modified_on", "activated_on", "verification_key",
               "vanity_name_servers")


class Zone(Resource):
    kind = "zone"

    @property
    def name(self):
        return hostname(self.module.params["name"])

    def validate(self):
        name = self.name
        if len(name) > 253 or "." not in name or not all(LABEL.match(label) for label in name.split(".")):
            self.module.fail_json(msg="name: %r is not a valid domain name (labels of a-z, 0-9 and '-', at most "
                                      "63 characters each, 253 in all, in Punycode)" % self.module.params["name"])

    def find(self):
        return self.cf.zone(self.name, missing_ok=True)

    def desired(self, actual):
        body = {"paused": self.module.params["paused"], "type": self.module.params["type"]}
        if actual is None:
            body["name"] = self.name
        return body

    def create(self, body):
        zone = self.cf.post("/zones", {"name": self.name, "type": body["type"] or "full",
                                       "account": {"id": self.cf.account_id()}},
                            what="zone %s" % self.name, reconcile=self.find)
        if body.get("paused"):
            zone = self.cf.patch("/zones/%s" % zone["id"], {"paused": True}, what="zone %s" % self.name)
        return zone

    def planned(self, actual, body):
        if actual is None:
            actual = {"name": self.name, "type": "full", "paused": False, "status": "pending"}
        return super(Zone, self).planned(actual, body)

    def update(self, actual, body, changed_fields):
        return self.cf.patch("/zones/%s" % actual["id"], dict((k, body[k]) for k in changed_fields),
                             what="zone %s" % self.name)

    def delete(self, actual):
        self.cf.delete("/zones/%s" % actual["id"], what="zone %s" % self.name)

    def view(self, obj):
        return dict((k, obj[k]) for k in VIEW_FIELDS if k in obj)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True, aliases=["zone"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        type=dict(type="str", choices=["full", "partial"]),
        paused=dict(type="bool"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    Zone(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
