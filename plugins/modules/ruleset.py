#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ruleset
short_description: Manage the rules of a Cloudflare zone phase entrypoint (WAF, rate limiting, cache, redirects, transforms)
version_added: 0.1.0
description:
  - Declares the rules of a zone's entrypoint ruleset for one phase (custom firewall rules, rate limiting rules,
    cache rules, managed WAF deployment, redirects, header and URL transforms, origin rules, configuration rules).
  - Each rule is identified by its C(ref). Rules are kept in the order given.
  - Rules already in the phase that the task does not list are kept where they are, unless O(purge=true), which
    removes them. The listed rules take the places the listed rules that already exist hold, in the order given;
    listed rules beyond those places come right after the last of them (at the end when none exists yet).
  - Every rule is checked before anything is read or written, including the parameters specific to its action
    (for example C(action_parameters.id) only with C(action=execute); a block response status between 400 and
    499; redirect status 301, 302, 303, 307 or 308; rate limiting C(period) and C(characteristics)).
  - Rules are compared by meaning. The fields the API adds (C(id), C(version), C(last_updated)) are ignored,
    C(enabled) defaults to true and C(description) to the empty string, numbers compare by value.
  - "Requests: the zone lookup, one C(GET .../rulesets/phases/{phase}/entrypoint) (a 404 means the phase has no
    rules yet) and, only when something differs, one C(PUT) of the whole entrypoint. Rules that exist keep their
    ids (the C(id) is sent back with the rule)."
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description: The zone's name or id.
    type: str
    required: true
    aliases: [zone_id]
  phase:
    description: The phase whose zone entrypoint ruleset is managed.
    type: str
    required: true
    choices: [ddos_l4, ddos_l7, http_config_settings, http_custom_errors, http_log_custom_fields, http_ratelimit,
              http_request_cache_settings, http_request_dynamic_redirect, http_request_firewall_custom,
              http_request_firewall_managed, http_request_late_transform, http_request_origin, http_request_redirect,
              http_request_sanitize, http_request_sbfm, http_request_transform, http_response_cache_settings,
              http_response_compression, http_response_firewall_managed, http_response_headers_transform,
              magic_transit, magic_transit_ids_managed, magic_transit_managed, magic_transit_ratelimit]
  rules:
    description:
      - The rules, in order. Keys are those of the Cloudflare API rule object.
      - "Each rule: C(ref) (required, unique, 1-64 of letters, digits, C(_ . : -)), C(expression) (required),
        C(action) (required), C(action_parameters), C(description), C(enabled), C(ratelimit) (required in
        V(http_ratelimit): C(characteristics) including C(cf.colo.id), C(period) 10/60/120/300/600/3600,
        C(requests_per_period) or C(score_per_period), C(mitigation_timeout) 0/10/60/120/300/600/3600/86400,
        C(requests_to_origin), C(counting_expression)), C(logging) (skip only), C(exposed_credential_check)."
      - "Actions per phase: V(http_request_firewall_custom) block, challenge, js_challenge, managed_challenge,
        log, skip; V(http_ratelimit) block, challenge, js_challenge, managed_challenge, log;
        V(http_request_firewall_managed) execute, skip, log; V(http_request_cache_settings) set_cache_settings;
        V(http_request_dynamic_redirect) redirect; V(http_request_transform), V(http_request_late_transform) and
        V(http_response_headers_transform) rewrite; V(http_request_origin) route; V(http_config_settings)
        set_config; V(http_custom_errors) serve_error; V(http_response_compression) compress_response."
    type: list
    elements: dict
    required: true
  purge:
    description:
      - Remove the rules of the phase that O(rules) does not list.
      - With O(purge=true) and O(rules=[]) every rule of the phase is removed.
    type: bool
    default: false
  name:
    description: The entrypoint ruleset's name. When not set, a new entrypoint is named V(default) and an existing one keeps its name.
    type: str
  description:
    description: The entrypoint ruleset's description. When not set it is left as it is.
    type: str
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
"""

EXAMPLES = r"""
- name: Custom firewall rules
  websoft9.cloudflare.ruleset:
    zone: example.com
    phase: http_request_firewall_custom
    rules:
      - ref: block_wp_login
        description: Block wp-login from outside the office
        expression: '(http.request.uri.path eq "/wp-login.php" and not ip.src in {192.0.2.0/24})'
        action: block
        action_parameters:
          response:
            status_code: 403
            content_type: text/plain
            content: Forbidden
      - ref: challenge_admin
        expression: 'starts_with(http.request.uri.path, "/admin")'
        action: managed_challenge

- name: Deploy the Cloudflare Managed Ruleset and the OWASP Core Ruleset
  websoft9.cloudflare.ruleset:
    zone: example.com
    phase: http_request_firewall_managed
    purge: true
    rules:
      - ref: cloudflare_managed
        expression: "true"
        action: execute
        action_parameters:
          id: efb7b8c949ac4650a09736fc376e9aee
      - ref: owasp
        expression: "true"
        action: execute
        action_parameters:
          id: 4814384a9e5d4991b9815dcfc25d2f1f
          overrides:
            sensitivity_level: medium

- name: Rate limit the login endpoint
  websoft9.cloudflare.ruleset:
    zone: example.com
    phase: http_ratelimit
    rules:
      - ref: login_rate
        expression: '(http.request.uri.path eq "/login")'
        action: block
        ratelimit:
          characteristics: [ip.src, cf.colo.id]
          period: 10
          requests_per_period: 20
          mitigation_timeout: 10

- name: Cache static assets at the edge for a day
  websoft9.cloudflare.ruleset:
    zone: example.com
    phase: http_request_cache_settings
    rules:
      - ref: cache_static
        expression: '(http.request.uri.path.extension in {"css" "js" "png" "svg"})'
        action: set_cache_settings
        action_parameters:
          cache: true
          edge_ttl: {mode: override_origin, default: 86400}
          browser_ttl: {mode: respect_origin}

- name: Redirect the old blog, and add a security header
  websoft9.cloudflare.ruleset:
    zone: example.com
    phase: http_request_dynamic_redirect
    rules:
      - ref: old_blog
        expression: '(http.host eq "blog.example.com")'
        action: redirect
        action_parameters:
          from_value:
            status_code: 301
            target_url: {expression: 'concat("https://example.com/blog", http.request.uri.path)'}
            preserve_query_string: true
"""

RETURN = r"""
ruleset:
  description: The entrypoint after the task (in check mode, as it would be). Rules without C(version)/C(last_updated).
  returned: always
  type: dict
  contains:
    id:
      description: The entrypoint ruleset's id (absent in check mode when it would be created).
      type: str
    name:
      description: The ruleset's name.
      type: str
    phase:
      description: The phase.
      type: str
    version:
      description: The ruleset version the API reports.
      type: str
    rules:
      description: The rules in order, each with C(id), C(ref), C(action), C(expression), C(enabled), C(description), ...
      type: list
      elements: dict
added:
  description: Refs of the rules created.
  returned: always
  type: list
  elements: str
updated:
  description: Refs of the rules whose content changed.
  returned: always
  type: list
  elements: str
removed:
  description: Refs of the rules removed (only with O(purge=true)).
  returned: always
  type: list
  elements: str
reordered:
  description: Whether rules that stay were put in a different order.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.rulesets import (
    PHASES,
    RuleError,
    canonical_rule,
    check_rules,
    kept_rule,
    same_rule,
    wire_rule,
)


def _view(ruleset):
    if not ruleset:
        return {}
    view = dict((k, ruleset[k]) for k in ("id", "name", "description", "kind", "phase", "version") if k in ruleset)
    view["rules"] = [kept_rule(r) for r in ruleset.get("rules") or []]
    return view


class Ruleset(object):
    def __init__(self, module, cf):
        self.module = module
        self.cf = cf
        self.params = module.params

    def run(self):
        phase = self.params["phase"]
        try:
            desired = check_rules(self.params["rules"], phase)
        except RuleError as exc:
            self.module.fail_json(msg=str(exc))
        zone = self.cf.zone(self.params["zone"])
        path = "/zones/%s/rulesets/phases/%s/entrypoint" % (zone["id"], phase)
        what = "%s entrypoint of zone %s" % (phase, zone["name"])
        actual = self.cf.get(path, what=what, missing_ok=True)
        current = list((actual or {}).get("rules") or [])
        by_ref = dict((r.get("ref") or r.get("id"), r) for r in current)
        wanted_refs = [r["ref"] for r in desired]

        listed = [wire_rule(rule, by_ref.get(rule["ref"])) for rule in desired]
        removed = []
        # Unlisted rules keep their positions; the listed rules fill the places the listed rules that exist hold
        # now, in the order given; listed rules beyond those places follow the last of them (or the end).
        rules = []
        queue = list(listed)
        last_slot = -1
        for rule in current:
            ref = rule.get("ref") or rule.get("id")
            if ref in wanted_refs:
                rules.append(queue.pop(0))
                last_slot = len(rules) - 1
            elif self.params["purge"]:
                removed.append(ref)
            else:
                rules.append(kept_rule(rule))
        insert_at = last_slot + 1 if last_slot >= 0 else len(rules)
        rules[insert_at:insert_at] = queue
        added = [r["ref"] for r in desired if r["ref"] not in by_ref]
        updated = [r["ref"] for r in desired if r["ref"] in by_ref and not same_rule(r, by_ref[r["ref"]])]
        stay = [r.get("ref") for r in rules if r.get("ref") in by_ref]
        before_order = [r.get("ref") or r.get("id") for r in current if (r.get("ref") or r.get("id")) in stay]
        reordered = stay != before_order

        body = {"rules": rules}
        name = self.params["name"] or (actual or {}).get("name") or "default"
        body["name"] = name
        description = self.params["description"]
        if description is None and actual and actual.get("description") is not None:
            description = actual.get("description")
        if description is not None:
            body["description"] = description
        meta_changed = actual is not None and (
            (self.params["name"] is not None and self.params["name"] != actual.get("name"))
            or (self.params["description"] is not None
                and self.params["description"] != (actual.get("description") or "")))
        if actual is None:
            changed = bool(rules) or self.params["name"] is not None or self.params["description"] is not None
        else:
            changed = bool(added or updated or removed or reordered or meta_changed)

        before = _view(actual)
        after = before
        if changed:
            if self.module.check_mode:
                after = dict(before) if before else {"name": name, "phase": phase, "kind": "zone"}
                after["name"] = name
                if description is not None:
                    after["description"] = description
                after["rules"] = [canonical_rule(r) if "id" not in r else dict(canonical_rule(r), id=r["id"])
                                  for r in rules]
            else:
                after = _view(self.cf.put(path, body, what=what))
        result = {"changed": changed, "ruleset": after, "added": added, "updated": updated, "removed": removed,
                  "reordered": bool(reordered and changed)}
        if self.module._diff:
            result["diff"] = {"before": _diffable(before), "after": _diffable(after)}
        self.module.exit_json(**result)


def _diffable(view):
    if not view:
        return {}
    out = dict((k, v) for k, v in view.items() if k not in ("version", "rules", "id"))
    out["rules"] = [canonical_rule(r) for r in view.get("rules") or []]
    return out


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["zone_id"]),
        phase=dict(type="str", required=True, choices=list(PHASES)),
        rules=dict(type="list", elements="dict", required=True),
        purge=dict(type="bool", default=False),
        name=dict(type="str"),
        description=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    Ruleset(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
