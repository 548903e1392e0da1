#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_records
short_description: Manage a whole set of Cloudflare DNS records in one task
version_added: 0.1.0
description:
  - Converges the DNS records of a zone to a desired list, given in O(records), read from a BIND zone file
    (O(zone_file)), or both.
  - Records are compared by meaning, the way Cloudflare rewrites them (name case, trailing dots, IPv6
    compression, TXT quoting and splitting, hex case), so a second run with the same input changes nothing.
  - A record is identified by name, type and content. For MX, SRV, URI and NAPTR the priority, weight, order and
    preference are attributes of the record, not part of its identity, so changing them updates the record.
  - The whole desired set is validated before the first write; a bad record fails the task naming the record and
    the field, and the zone is untouched.
  - Reads the zone once (one listing, whatever its size) and writes only through the batch endpoint, in chunks of
    O(batch_size). An unchanged run makes two requests.
  - A batch that fails ambiguously (a 5xx or a lost connection after sending) is never re-sent blindly; the
    zone is re-read and the remaining changes planned again from what is there.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone, by name (for example V(example.com)) or by id.
    type: str
    required: true
    aliases: [zone_name, zone_id]
  records:
    description:
      - The desired records. Each takes the same options as M(websoft9.cloudflare.dns_record).
      - Give either O(records[].content) (zone-file form) or O(records[].data) (Cloudflare's structured form).
      - An option left out is not managed; an existing record keeps its value (a new one gets Cloudflare's
        default).
    type: list
    elements: dict
    default: []
    suboptions:
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
        type: str
        aliases: [value]
      data:
        description:
          - The record data as Cloudflare's structured C(data) object, for CAA, CERT, DNSKEY, DS, HTTPS, LOC,
            NAPTR, SMIMEA, SRV, SSHFP, SVCB, TLSA and URI.
        type: dict
      priority:
        description:
          - Priority of MX, URI, SRV, HTTPS and SVCB records (it may also be given inside O(records[].content) or
            O(records[].data)).
        type: int
      ttl:
        description:
          - Time to live in seconds, V(60)..V(86400) (V(30) on Enterprise zones), or V(1) for automatic.
          - A proxied record always has TTL 1.
        type: int
      proxied:
        description:
          - Whether Cloudflare proxies the traffic. Only A, AAAA and CNAME records can be proxied.
        type: bool
      comment:
        description:
          - A comment on the record; V("") removes it.
        type: str
      tags:
        description:
          - Tags, as V(name:value) strings; V([]) removes them.
        type: list
        elements: str
      settings:
        description:
          - Per-record settings.
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
      state:
        description:
          - V(absent) deletes the record. Without O(records[].content) and O(records[].data), every record of
            that name and type is deleted.
        type: str
        choices: [present, absent]
        default: present
  zone_file:
    description:
      - Path to a BIND zone file whose records are desired too (on the machine running the module). C(SOA) is
        skipped; C($ORIGIN) defaults to the zone; Cloudflare's C(; cf_tags=cf-proxied:true) marks set
        O(records[].proxied). Every record of the file manages C(ttl) and C(proxied).
      - A record in O(records) with the same name, type and content overrides the file's.
    type: path
  purge:
    description:
      - Delete the existing records that are not desired, limited by O(purge_names) and O(purge_types).
      - NS records at the zone apex are never deleted unless O(purge_apex_ns=true).
    type: bool
    default: false
  purge_names:
    description:
      - With O(purge), delete only records with these names (relative or full).
    type: list
    elements: str
  purge_types:
    description:
      - With O(purge), delete only records of these types.
    type: list
    elements: str
  purge_keep_names:
    description:
      - With O(purge), never delete records with these names (relative or full), for example names whose records
        another tool manages (V(_acme-challenge)).
    type: list
    elements: str
  purge_apex_ns:
    description:
      - With O(purge), also delete NS records at the zone apex that are not desired.
    type: bool
    default: false
  batch_size:
    description:
      - Operations per batch request. Cloudflare allows 200 per batch on Free zones and 3500 on paid plans.
    type: int
    default: 200
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
notes:
  - Changes are applied in the order deletes, updates, creates, which is the order Cloudflare runs a batch in, so
    replacing an A record by a CNAME at one name works in one task with O(purge) or O(records[].state=absent).
  - A create and a delete of the same name and type become one update of the old record, so a changed value is
    never missing from the zone between two batches.
  - For zones of thousands of records prefer O(zone_file). A O(records) list of 10,000 items is fine for the
    module, but Ansible itself spends several seconds templating and validating a variable that large. A list of
    more than 100 records is not echoed back in the result's C(invocation).
seealso:
  - module: websoft9.cloudflare.dns_record
  - module: websoft9.cloudflare.dns_record_info
"""

EXAMPLES = r"""
- name: The web and mail records of example.com
  websoft9.cloudflare.dns_records:
    zone: example.com
    api_token: "{{ cloudflare_api_token }}"
    records:
      - {name: "@", type: A, content: 192.0.2.10, proxied: true}
      - {name: www, type: CNAME, content: example.com, proxied: true}
      - {name: "@", type: MX, content: mail.example.com, priority: 10}
      - {name: "@", type: TXT, content: "v=spf1 mx -all"}
      - name: _sip._tcp
        type: SRV
        data: {priority: 10, weight: 20, port: 5060, target: sip.example.com}
      - {name: "@", type: CAA, data: {flags: 0, tag: issue, value: letsencrypt.org}}

- name: Move a zone exported from another provider, deleting everything else (apex NS kept)
  websoft9.cloudflare.dns_records:
    zone: example.org
    zone_file: files/example.org.zone
    purge: true
    purge_keep_names: [_acme-challenge]   # certbot manages these
  diff: true
  register: dns

- name: Show what changed
  ansible.builtin.debug:
    var: dns.counts

- name: Keep only the listed TXT records of _acme-challenge
  websoft9.cloudflare.dns_records:
    zone: example.com
    records:
      - {name: _acme-challenge, type: TXT, content: "{{ token }}"}
    purge: true
    purge_names: [_acme-challenge]
    purge_types: [TXT]

- name: Replace the A records of www by a CNAME, in one task
  websoft9.cloudflare.dns_records:
    zone: example.com
    records:
      - {name: www, type: A, state: absent}
      - {name: www, type: CNAME, content: example.com}
"""

RETURN = r"""
zone:
  description: The zone's id and name.
  returned: always
  type: dict
  sample: {id: 023e105f4ecef8ad9ca31a8372d0c353, name: example.com}
counts:
  description: How many records were (or, in check mode, would be) created, updated, deleted, and left unchanged.
  returned: always
  type: dict
  sample: {created: 3, updated: 1, deleted: 0, unchanged: 412}
batches:
  description: Batch requests sent (including ones that failed and were reconciled).
  returned: always
  type: int
  sample: 1
changes:
  description: Per-record changes, as zone-file lines.
  returned: in diff mode
  type: list
  elements: dict
  sample:
    - {action: update, before: "www 300 IN A 192.0.2.1", after: "www 1 IN A 192.0.2.1 ; proxied", fields: [proxied, ttl]}
skipped_records:
  description:
    - Zone-file records not managed (SOA), with their line number.
    - Not named C(skipped), because Ansible reads a true C(skipped) key as the task being skipped.
  returned: when O(zone_file) is given
  type: list
  elements: dict
applied:
  description: On a failed batch, the changes that were applied before it.
  returned: on failure of a batch
  type: dict
not_applied:
  description: On a failed batch, the changes that were not applied.
  returned: on failure of a batch
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_sync import (
    DnsSync,
    MAX_ERRORS_SHOWN,
    PlanError,
    Scope,
    absent_selector,
    make_plan,
    min_ttl_of,
    normalise,
    record_input,
    record_options,
    validate_batch_size,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import identity
from ansible_collections.websoft9.cloudflare.plugins.module_utils.zonefile import ZoneFileError, parse_zone


def desired_records(module, zone_name, min_ttl):
    """([(label, canonical)], [(label, selector)], skipped), every problem of every record collected first."""
    params = module.params
    errors, present, absent, skipped = [], [], [], []
    from_file = []
    if params["zone_file"]:
        try:
            with open(params["zone_file"], encoding="utf-8") as handle:
                text = handle.read()
            records, skipped = parse_zone(text, origin=zone_name)
        except (OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg="zone_file: cannot read %s: %s" % (params["zone_file"], exc))
        except ZoneFileError as exc:
            module.fail_json(msg="zone_file %s: %s" % (params["zone_file"], exc))
        for index, rec in enumerate(records):
            if rec.get("proxied"):
                rec["ttl"] = None  # a proxied record's TTL is automatic; the export writes 1
            rec["name"] += "."  # absolute: a file for another zone fails as "not inside zone"
            label = "zone_file record %d (%s %s)" % (index + 1, rec["name"], rec["type"])
            try:
                from_file.append((label, normalise(rec, zone_name, label, min_ttl)))
            except PlanError as err:
                errors.extend(err.messages)
    listed = []
    for index, item in enumerate(params["records"] or []):
        rec = record_input(item)
        label = "records[%d] (%s %s)" % (index, rec.get("name") or "@", str(rec.get("type") or "?").upper())
        try:
            if item.get("state") == "absent":
                absent.append((label, absent_selector(rec, zone_name, label)))
            else:
                listed.append((label, normalise(rec, zone_name, label, min_ttl)))
        except PlanError as err:
            errors.extend(err.messages)
    if errors:
        fail_invalid(module, errors)
    if from_file and listed:
        override = set(identity(rec) for _label, rec in listed)
        from_file = [(label, rec) for label, rec in from_file if identity(rec) not in override]
    return from_file + listed, absent, skipped


def fail_invalid(module, errors):
    shown = errors[:MAX_ERRORS_SHOWN]
    more = len(errors) - len(shown)
    module.fail_json(msg="%d invalid record(s), nothing was changed: %s%s"
                         % (len(errors), "; ".join(shown), " (and %d more)" % more if more else ""),
                     invalid=errors)


ECHO_LIMIT = 100


def quiet_invocation(module):
    """A big records list is not echoed back in the result's invocation: copying and scanning 10,000 records for
    secrets, then sending them back, costs more than the converge itself."""
    records = module.params.get("records") or []
    if len(records) <= ECHO_LIMIT:
        return
    args = dict(module.params, records="(%d records, not echoed)" % len(records))
    for name in ("exit_json", "fail_json"):
        original = getattr(module, name)

        def wrapped(original=original, **kwargs):
            kwargs.setdefault("invocation", {"module_args": args})
            original(**kwargs)
        setattr(module, name, wrapped)


def main():
    argument_spec = cloudflare_argument_spec()
    record = record_options()
    record["name"]["default"] = "@"
    record["type"]["required"] = True
    record["state"] = dict(type="str", choices=["present", "absent"], default="present")
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["zone_name", "zone_id"]),
        records=dict(type="list", elements="dict", default=[], options=record),
        zone_file=dict(type="path"),
        purge=dict(type="bool", default=False),
        purge_names=dict(type="list", elements="str"),
        purge_types=dict(type="list", elements="str"),
        purge_keep_names=dict(type="list", elements="str"),
        purge_apex_ns=dict(type="bool", default=False),
        batch_size=dict(type="int", default=200),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    quiet_invocation(module)
    validate_batch_size(module, params["batch_size"])
    cf = CloudflareClient(module)
    zone = cf.zone(params["zone"])
    zone_name = zone["name"].lower()
    desired, absent, skipped = desired_records(module, zone_name, min_ttl_of(zone))
    try:
        scope = Scope(zone_name, purge=params["purge"], names=params["purge_names"], types=params["purge_types"],
                      apex_ns=params["purge_apex_ns"], keep_names=params["purge_keep_names"])
    except PlanError as err:
        fail_invalid(module, err.messages)
    sync = DnsSync(module, cf, zone, batch_size=params["batch_size"])

    def plan_for(actual):
        return make_plan(zone_name, desired, actual, scope, absent)

    sync.desired = desired
    try:
        plan = plan_for(sync.read(desired=desired))
    except PlanError as err:
        fail_invalid(module, err.messages)
    if plan.changed and not module.check_mode:
        sync.apply(plan, plan_for)
    result = {"changed": plan.changed, "zone": {"id": zone["id"], "name": zone_name}, "counts": plan.counts,
              "batches": sync.batches}
    if params["zone_file"]:
        result["skipped_records"] = skipped
    if module._diff:
        result["diff"] = plan.diff()
        result["changes"] = plan.details()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
