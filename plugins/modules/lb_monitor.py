#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lb_monitor
short_description: Manage a Cloudflare load balancing health monitor
version_added: 0.1.0
description:
  - Create, update or delete an account-level health monitor, used by load balancer pools to check their origins.
  - Monitors have no name in the Cloudflare API. This module identifies a monitor by its O(description), which
    must therefore be unique in the account (the module fails, listing the ids, when two monitors share it), or
    by its O(id).
  - Options left unset are not managed; a new monitor gets Cloudflare's defaults for them. Unset, empty and
    default values compare equal, so a second run changes nothing.
  - Everything is validated before any write (timeout shorter than interval, the port rules of each type, the
    fields only HTTP and HTTPS monitors take, status code patterns, headers).
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  description:
    description:
      - The monitor's description, its identity in the account.
      - Required unless O(id) is given; with O(id), this sets the description.
    type: str
  id:
    description:
      - The id of an existing monitor. With O(state=present) the monitor must exist.
    type: str
  state:
    description:
      - Whether the monitor should exist. A monitor still used by a pool cannot be deleted.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The protocol of the check. Cloudflare's default is V(http).
    type: str
    choices: [http, https, tcp, udp_icmp, icmp_ping, smtp]
  method:
    description:
      - V(GET) or V(HEAD) for HTTP and HTTPS monitors (default V(GET)); V(connection_established) for TCP.
    type: str
  path:
    description:
      - The path requested by HTTP and HTTPS checks. Default V(/).
    type: str
  header:
    description:
      - HTTP request headers sent by HTTP and HTTPS checks, as a mapping of names to a value or a list of values,
        for example a C(Host) header of C(app.example.com). Names are compared case-insensitively.
      - The User-Agent header cannot be overridden. An empty mapping removes every header.
    type: dict
  port:
    description:
      - The port to check. Required for V(tcp), V(udp_icmp) and V(smtp); not used by V(icmp_ping). For HTTP and
        HTTPS, V(0) (the default) means the origin's port, else 80 or 443.
    type: int
  monitor_timeout:
    description:
      - Seconds before a check counts as failed (1 to 10, default 5). Must be less than O(interval).
      - This is the monitor's C(timeout) field of the API; the option O(timeout) is the timeout of this
        module's own HTTP requests.
    type: int
  interval:
    description:
      - Seconds between checks (5 to 3600, default 60). The shortest interval allowed depends on the plan.
    type: int
  retries:
    description:
      - Immediate retries after a timeout before the check counts as failed (0 to 5, default 2).
    type: int
  expected_codes:
    description:
      - The HTTP status code or range that means healthy, for example V(200), V(2xx) or V(200,301). Default V(200).
        Written in lower case without spaces (V(2XX, 301) is sent as V(2xx,301)).
    type: str
  expected_body:
    description:
      - A case-insensitive substring the response body must contain. Empty (the default) checks no body.
    type: str
  follow_redirects:
    description:
      - Follow redirects returned by the origin (HTTP and HTTPS). Default V(false).
    type: bool
  allow_insecure:
    description:
      - Do not validate the origin's certificate (HTTPS). Default V(false).
    type: bool
  probe_zone:
    description:
      - A zone name the checks emulate, for example to send the zone's cookies (HTTP and HTTPS).
    type: str
  consecutive_up:
    description:
      - Passed checks in a row before an unhealthy origin counts as healthy again. V(0), the default, means one.
    type: int
  consecutive_down:
    description:
      - Failed checks in a row before a healthy origin counts as unhealthy. V(0), the default, means one.
    type: int
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
"""

EXAMPLES = r"""
- name: An HTTPS health check of the Websoft9 backends
  websoft9.cloudflare.lb_monitor:
    description: websoft9-https
    type: https
    path: /health
    header:
      Host: app.example.com
    expected_codes: 2xx
    expected_body: ok
    interval: 60
    monitor_timeout: 5
    retries: 2
    consecutive_down: 2
  register: monitor

- name: A TCP check of a database port
  websoft9.cloudflare.lb_monitor:
    description: websoft9-postgres
    type: tcp
    port: 5432

- name: Delete a monitor
  websoft9.cloudflare.lb_monitor:
    description: old-check
    state: absent
"""

RETURN = r"""
monitor:
  description:
    - The monitor after the task (in check mode, as it would be), as Cloudflare returns it. Empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: The monitor's id (use it, or the description, in O(websoft9.cloudflare.lb_pool#module:monitor)).
      type: str
      sample: f1aba936b94213e5b8dca0c0dbf1f9cc
    description:
      description: The description.
      type: str
      sample: websoft9-https
    type:
      description: The protocol.
      type: str
      sample: https
    timeout:
      description: Seconds before a check fails.
      type: int
      sample: 5
    interval:
      description: Seconds between checks.
      type: int
      sample: 60
    header:
      description: Request headers, each a list of values.
      type: dict
      sample: {Host: [app.example.com]}
changed_fields:
  description: The fields that differed and were (or would be) written.
  returned: when an existing monitor is changed
  type: list
  elements: str
  sample: [header, timeout]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.load_balancing import (
    HTTP_ONLY_FIELDS,
    HTTP_TYPES,
    MONITOR_TYPES,
    Index,
    check_monitor,
    header_key,
    header_map,
    monitor_defaults,
    same_value,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.resource import Resource

FIELDS = ("type", "method", "path", "header", "port", "timeout", "interval", "retries", "expected_codes",
          "expected_body", "follow_redirects", "allow_insecure", "probe_zone", "consecutive_up", "consecutive_down",
          "description")


def _named(errors):
    """Messages name the task's option: the API's ``timeout`` is the ``monitor_timeout`` option."""
    return [("monitor_" + e) if e.startswith("timeout:") else e for e in errors]


class Monitor(Resource):
    kind = "monitor"

    def __init__(self, module, cf):
        super(Monitor, self).__init__(module, cf)
        self.params = module.params
        self.path = None

    @property
    def what(self):
        return "monitor %s" % (self.params["description"] or self.params["id"])

    def given(self):
        body = {}
        for key in FIELDS:
            value = self.params.get("monitor_timeout" if key == "timeout" else key)
            if value is None:
                continue
            if key == "header":
                value = header_map(value)
            elif key == "expected_codes":
                value = ",".join(part.strip() for part in value.lower().split(","))
            elif key == "probe_zone":
                value = value.strip().rstrip(".").lower()
            elif key == "method":
                value = value.upper() if value.upper() in ("GET", "HEAD") else value.lower()
            body[key] = value
        return body

    def validate(self):
        if self.params["state"] == "present":
            errors = _named(check_monitor(self.given(), partial=True))
            if errors:
                self.module.fail_json(msg="; ".join(errors), errors=errors)

    def find(self):
        account = self.cf.account_id()
        self.path = "/accounts/%s/load_balancers/monitors" % account
        monitors = Index(self.cf.get(self.path, what="monitors") or [], "description", "monitor")
        if self.params["id"]:
            found = monitors.by_id.get(self.params["id"])
            if found is None and self.params["state"] == "present":
                self.module.fail_json(msg="id: monitor %s does not exist" % self.params["id"])
            return found
        found, error = monitors.find(self.params["description"])
        if found is None and error and "does not exist" not in error:
            self.module.fail_json(msg="description: %s; monitor descriptions must be unique to identify them"
                                  % error)
        return found

    def desired(self, actual):
        body = self.given()
        merged = self.merged(actual, body)
        errors = _named(check_monitor(merged))
        if errors:
            self.module.fail_json(msg="; ".join(errors), errors=errors)
        return body

    def merged(self, actual, body):
        """The full monitor to send with PUT: the actual fields, less those a type change invalidates, plus the
        task's fields."""
        base = dict((k, v) for k, v in (actual or {}).items() if k in FIELDS)
        new_type = body.get("type")
        if actual and new_type and new_type != actual.get("type"):
            for key in HTTP_ONLY_FIELDS + ("method",):
                base.pop(key, None)
            if new_type not in HTTP_TYPES and new_type != "tcp":
                base.pop("method", None)
            if new_type in ("tcp", "udp_icmp", "smtp", "icmp_ping") and "port" not in body and not base.get("port"):
                base.pop("port", None)
            if new_type == "icmp_ping":
                base.pop("port", None)
        base.update(body)
        if "description" not in base:
            base["description"] = self.params["description"] or ""
        return base

    def changed_fields(self, desired, actual):
        defaults = monitor_defaults(actual.get("type"))
        fields = []
        for key, value in desired.items():
            if key == "header":
                if header_key(value) != header_key(actual.get("header")):
                    fields.append(key)
            elif not same_value(value, actual.get(key), defaults.get(key)):
                fields.append(key)
        return sorted(fields)

    def create(self, body):
        body = self.merged(None, body)
        return self.cf.post(self.path, body, what=self.what, reconcile=self.reconcile)

    def reconcile(self):
        found = [m for m in self.cf.get(self.path, what="monitors") or []
                 if m.get("description") == (self.params["description"] or "")]
        return found[0] if len(found) == 1 else None

    def update(self, actual, body, changed_fields):
        return self.cf.put("%s/%s" % (self.path, actual["id"]), self.merged(actual, body), what=self.what)

    def delete(self, actual):
        self.cf.delete("%s/%s" % (self.path, actual["id"]), what=self.what)

    def planned(self, actual, body):
        mtype = body.get("type") or (actual or {}).get("type") or "http"
        planned = monitor_defaults(mtype) if actual is None else {}
        if mtype not in HTTP_TYPES:
            for key in HTTP_ONLY_FIELDS:
                planned.pop(key, None)
        planned.update(self.merged(actual, body) if actual else body)
        if actual:
            planned = dict(actual, **planned)
        if "description" not in planned:
            planned["description"] = self.params["description"] or ""
        return planned


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        description=dict(type="str"),
        id=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        type=dict(type="str", choices=list(MONITOR_TYPES)),
        method=dict(type="str"),
        path=dict(type="str"),
        header=dict(type="dict"),
        port=dict(type="int"),
        monitor_timeout=dict(type="int"),
        interval=dict(type="int"),
        retries=dict(type="int"),
        expected_codes=dict(type="str"),
        expected_body=dict(type="str"),
        follow_redirects=dict(type="bool"),
        allow_insecure=dict(type="bool"),
        probe_zone=dict(type="str"),
        consecutive_up=dict(type="int"),
        consecutive_down=dict(type="int"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[("description", "id")])
    Monitor(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
