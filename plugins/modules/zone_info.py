#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_info
short_description: Read Cloudflare zones
version_added: 0.1.0
description:
  - Returns one zone, by name or by id, or every zone the credentials can see (limited to O(account_id) when set).
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  name:
    description:
      - The domain name of one zone. Mutually exclusive with O(id).
    type: str
    aliases: [zone]
  id:
    description:
      - The id of one zone. Mutually exclusive with O(name).
    type: str
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Read one zone
  websoft9.cloudflare.zone_info:
    name: example.com
  register: info

- name: Every zone of an account
  websoft9.cloudflare.zone_info:
    account_id: 01a7362d577a6c3019a474fd6f485823
  register: all_zones
"""

RETURN = r"""
zones:
  description:
    - The zones found, sorted by name. Empty when a zone asked for by name or id does not exist.
    - Each item has the fields Cloudflare returns for a zone (id, name, status, type, paused, name_servers,
      account, plan, created_on, modified_on, ...).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 023e105f4ecef8ad9ca31a8372d0c353
      name: example.com
      status: active
      type: full
      paused: false
      name_servers: [ada.ns.cloudflare.com, bob.ns.cloudflare.com]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        name=dict(type="str", aliases=["zone"]),
        id=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[("name", "id")])
    cf = CloudflareClient(module)
    wanted = module.params["name"] or module.params["id"]
    if wanted:
        zone = cf.zone(wanted, missing_ok=True)
        zones = [zone] if zone else []
    else:
        query = {"account.id": module.params["account_id"]} if module.params["account_id"] else None
        zones = sorted(cf.list("/zones", query=query, what="zones", per_page=50), key=lambda z: z["name"])
    module.exit_json(changed=False, zones=zones)


if __name__ == "__main__":
    main()
