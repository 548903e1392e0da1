#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_record_info
short_description: List the DNS records of a Cloudflare zone
version_added: 0.1.0
description:
  - Returns the records of a zone, optionally filtered by name, type and content, in canonical form (full
    lower-case names, content as Cloudflare shows it, structured C(data) for data-based types).
  - O(content) is compared by meaning when O(type) is given (V(2001:DB8::0:1) finds V(2001:db8::1), a TXT value
    matches quoted or not), literally otherwise.
  - Reads the zone and one listing of the records, whatever their number.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone, by name (for example V(example.com)) or by id.
    type: str
    required: true
    aliases: [zone_name, zone_id]
  name:
    description:
      - Only records with this name, relative to the zone (V(www)), V(@) for the apex, or the full name.
    type: str
    aliases: [record]
  type:
    description:
      - Only records of this type (any case).
    type: str
  content:
    description:
      - Only records with this content (zone-file form).
    type: str
    aliases: [value]
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes.INFO_MODULE
seealso:
  - module: websoft9.cloudflare.dns_record
  - module: websoft9.cloudflare.dns_records
"""

EXAMPLES = r"""
- name: All records of example.com
  websoft9.cloudflare.dns_record_info:
    zone: example.com
    api_token: "{{ cloudflare_api_token }}"
  register: dns

- name: The MX records at the apex
  websoft9.cloudflare.dns_record_info:
    zone: example.com
    name: "@"
    type: MX
  register: mx

- name: Which names point at an old address
  websoft9.cloudflare.dns_record_info:
    zone: example.com
    type: A
    content: 192.0.2.10
  register: old
"""

RETURN = r"""
zone:
  description: The zone's id and name.
  returned: always
  type: dict
  sample: {id: 023e105f4ecef8ad9ca31a8372d0c353, name: example.com}
records:
  description: The matching records, sorted by name, type and content.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The record id.
      type: str
    name:
      description: The full record name.
      type: str
      sample: www.example.com
    type:
      description: The record type.
      type: str
      sample: A
    content:
      description: The content as Cloudflare shows it.
      type: str
      sample: 192.0.2.10
    data:
      description: The structured data of data-based types.
      type: dict
      returned: for data-based types
    priority:
      description: MX and URI priority.
      type: int
      returned: for MX and URI
    ttl:
      description: TTL in seconds, 1 = automatic.
      type: int
    proxied:
      description: Whether the record is proxied.
      type: bool
    comment:
      description: The comment ("" when none).
      type: str
    tags:
      description: The tags.
      type: list
      elements: str
    settings:
      description: The record's settings.
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_sync import DnsSync, view
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import (
    RecordError,
    normalise_record,
    record_fqdn,
    record_type,
)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["zone_name", "zone_id"]),
        name=dict(type="str", aliases=["record"]),
        type=dict(type="str"),
        content=dict(type="str", aliases=["value"]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    rtype = params["type"].strip().upper() if params["type"] else None
    if rtype:
        try:
            record_type(rtype)
        except Exception as exc:  # dns_types' own field error: its message names the choices
            module.fail_json(msg="type: %s" % getattr(exc, "message", exc))
    cf = CloudflareClient(module)
    zone = cf.zone(params["zone"])
    zone_name = zone["name"].lower()
    name = None
    if params["name"] is not None:
        try:
            name = record_fqdn(params["name"], zone_name)
        except ValueError as exc:
            module.fail_json(msg="name: %r %s" % (params["name"], exc))
    key = None
    if params["content"] is not None and rtype:
        try:
            key = normalise_record({"name": name or "@", "type": rtype, "content": params["content"]},
                                   zone_name, min_ttl=1)["content_key"]
        except RecordError as err:
            module.fail_json(msg="content: %s" % err.message)
    records = DnsSync(module, cf, zone).read(name=name, rtype=rtype)
    if name:
        records = [r for r in records if r["name"] == name]
    if rtype:
        records = [r for r in records if r["type"] == rtype]
    if key is not None:
        records = [r for r in records if r["content_key"] == key]
    elif params["content"] is not None:
        records = [r for r in records if r["content"] == params["content"]]
    records.sort(key=lambda r: (r["name"], r["type"], r["content"]))
    module.exit_json(changed=False, zone={"id": zone["id"], "name": zone_name}, records=[view(r) for r in records])


if __name__ == "__main__":
    main()
