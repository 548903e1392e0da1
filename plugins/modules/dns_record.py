#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_record
short_description: Manage one Cloudflare DNS record
version_added: 0.1.0
description:
  - Creates, updates or deletes one DNS record of a zone.
  - A record is identified by O(name), O(type) and its content (O(content) or O(data)), compared by meaning the
    way Cloudflare rewrites them (case, trailing dots, IPv6 compression, TXT quoting and splitting, hex case).
    Other records of the same name and type are left alone, unless O(solo=true).
  - For MX, SRV, URI and NAPTR the priority, weight, order and preference are attributes, not identity, so changing
    O(priority) updates the record.
  - Input is validated before any write, with a message naming the field.
  - Reads the zone and the records of the one name (two requests); writes through the batch endpoint, so
    O(solo) replaces the other records in one transaction.
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
      - The record name, relative to the zone (V(www)), V(@) for the apex, or the full name.
    type: str
    default: "@"
    aliases: [record]
  type:
    description:
      - One of A, AAAA, CNAME, MX, TXT, NS, PTR, SRV, CAA, HTTPS, SVCB, DS, DNSKEY, SSHFP, TLSA, SMIMEA, URI,
        NAPTR, CERT, LOC, OPENPGPKEY (any case).
    type: str
    required: true
  content:
    description:
      - The record data in zone-file form, for example V(192.0.2.1), V(10 mail.example.com) for MX, or
        V(0 issue "letsencrypt.org") for CAA. TXT may be quoted or not.
      - Give O(content) or O(data), not both. Required with O(state=present).
    type: str
    aliases: [value]
  data:
    description:
      - The record data as Cloudflare's structured C(data) object, for CAA, CERT, DNSKEY, DS, HTTPS, LOC, NAPTR,
        SMIMEA, SRV, SSHFP, SVCB, TLSA and URI; for SRV the keys are C(priority), C(weight), C(port) and
        C(target).
    type: dict
  priority:
    description:
      - Priority of MX, URI, SRV, HTTPS and SVCB records (it may also be given in O(content) or O(data)).
    type: int
  ttl:
    description:
      - Time to live in seconds, V(60)..V(86400) (V(30) on Enterprise zones), or V(1) for automatic.
      - When not set, a new record gets V(1) and an existing one keeps its TTL. A proxied record always has TTL 1.
    type: int
  proxied:
    description:
      - Whether Cloudflare proxies the traffic. Only A, AAAA and CNAME records can be proxied.
      - When not set, a new record is not proxied and an existing one keeps its state.
    type: bool
  comment:
    description:
      - A comment on the record; V("") removes it. When not set, an existing comment is kept.
    type: str
  tags:
    description:
      - Tags, as V(name:value) strings; V([]) removes them. When not set, existing tags are kept.
    type: list
    elements: str
  settings:
    description:
      - Per-record settings. When given, a setting left out is V(false).
    type: dict
    suboptions:
      flatten_cname:
        description: CNAME only. Return the target's addresses instead of the CNAME.
        type: bool
      ipv4_only:
        description: Answer only with IPv4 addresses (proxied records).
        type: bool
      ipv6_only:
        description: Answer only with IPv6 addresses (proxied records).
        type: bool
  solo:
    description:
      - Make this the only record of its name and type; the others of that name and type are deleted (records
        of other types are never touched).
    type: bool
    default: false
  state:
    description:
      - V(absent) deletes the record; without O(content) and O(data), every record of that name and type.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
seealso:
  - module: websoft9.cloudflare.dns_records
  - module: websoft9.cloudflare.dns_record_info
"""

EXAMPLES = r"""
- name: A proxied web server
  websoft9.cloudflare.dns_record:
    zone: example.com
    name: www
    type: A
    content: 192.0.2.10
    proxied: true
    api_token: "{{ cloudflare_api_token }}"

- name: Point app at one address only (other A records of app are deleted)
  websoft9.cloudflare.dns_record:
    zone: example.com
    name: app
    type: A
    content: 192.0.2.20
    ttl: 300
    solo: true

- name: SRV record in structured form
  websoft9.cloudflare.dns_record:
    zone: example.com
    name: _sip._tcp
    type: SRV
    data: {priority: 10, weight: 20, port: 5060, target: sip.example.com}

- name: The same SRV record in zone-file form
  websoft9.cloudflare.dns_record:
    zone: example.com
    name: _sip._tcp
    type: SRV
    content: 10 20 5060 sip.example.com

- name: CAA record
  websoft9.cloudflare.dns_record:
    zone: example.com
    type: CAA
    content: 0 issue "letsencrypt.org"

- name: Delete every TXT record of _acme-challenge
  websoft9.cloudflare.dns_record:
    zone: example.com
    name: _acme-challenge
    type: TXT
    state: absent
"""

RETURN = r"""
record:
  description:
    - The record after the task (in check mode, as it would be). Empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: The record id (missing in check mode for a new record).
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
      description: The content in the form Cloudflare shows it.
      type: str
      sample: 192.0.2.10
    data:
      description: The structured data, for data-based types.
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
counts:
  description: Records created, updated, deleted and unchanged (with O(solo), others deleted are counted).
  returned: always
  type: dict
  sample: {created: 1, updated: 0, deleted: 1, unchanged: 0}
changed_fields:
  description: The fields of the existing record that differed.
  returned: when an existing record is updated
  type: list
  elements: str
  sample: [proxied, ttl]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_sync import (
    DnsSync,
    PlanError,
    Scope,
    absent_selector,
    make_plan,
    min_ttl_of,
    normalise,
    record_input,
    record_options,
    view,
)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(record_options())
    argument_spec["name"]["default"] = "@"
    argument_spec["type"]["required"] = True
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["zone_name", "zone_id"]),
        solo=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[("content", "data")],
                           required_if=[("state", "present", ("content", "data"), True)])
    params = module.params
    cf = CloudflareClient(module)
    zone = cf.zone(params["zone"])
    zone_name = zone["name"].lower()
    rec = record_input(params)
    present = params["state"] == "present"
    try:
        if present:
            desired = [("record", normalise(rec, zone_name, "record", min_ttl_of(zone)))]
            absent = []
            name, rtype = desired[0][1]["name"], desired[0][1]["type"]
        else:
            desired = []
            absent = [("record", absent_selector(rec, zone_name, "record"))]
            name, rtype = absent[0][1].name if not isinstance(absent[0][1], dict) else absent[0][1]["name"], None
        scope = Scope(zone_name, purge=present and params["solo"], names=[name],
                      types=[rtype] if rtype else None, apex_ns=True)
    except PlanError as err:
        module.fail_json(msg="; ".join(err.messages))
    sync = DnsSync(module, cf, zone)

    def plan_for(actual):
        return make_plan(zone_name, desired, actual, scope, absent)

    sync.desired = desired
    try:
        plan = plan_for(sync.read(name=name, desired=desired))
    except PlanError as err:
        module.fail_json(msg="; ".join(err.messages))
    written = {}
    if plan.changed and not module.check_mode:
        written = sync.apply(plan, plan_for)
    result = {"changed": plan.changed, "counts": plan.counts, "record": {}}
    mine = [c for c in plan.changes if c.label == "record" and c.action != "delete"]
    if mine:
        change = mine[0]
        after = change.after
        if "record" in written:
            after = written["record"]
        result["record"] = view(after)
        if change.action == "update":
            result["changed_fields"] = change.fields
    if module._diff:
        diff = plan.diff()
        result["diff"] = diff
        result["changes"] = plan.details()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
