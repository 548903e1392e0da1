#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_settings
short_description: Manage many Cloudflare zone settings in one task
version_added: 0.1.0
description:
  - Set any number of a zone's settings (SSL mode, Always Use HTTPS, minimum TLS version, HSTS, security level,
    caching, Brotli, HTTP/3, IPv6, WebSockets, and every other setting the API has) in one task.
  - Every value is checked against what that setting accepts before anything is written; the error names the
    setting.
  - Only the settings whose current value differs are written. Values are compared by meaning; for settings whose
    value is an object (C(security_header), C(nel), C(aegis),
    C(automatic_platform_optimization)) only the sub-keys given are compared and changed, the others
    keep their current values; V(10) equals V(10.0); the order of C(ciphers) does not matter.
  - "Requests: the zone lookup, one read of all settings (C(GET /zones/{id}/settings), Cloudflare's
    \"Get all Zone settings\"; a setting missing from that listing, such as C(ssl_recommender), is read on its
    own), and at most one write (C(PATCH /zones/{id}/settings) with the changed settings as C(items);
    C(ssl_recommender) is written on its own endpoint). If the aggregate endpoints are refused (HTTP 404, 405
    or 501), the module falls back to one C(GET)/C(PATCH /zones/{id}/settings/{setting}) per setting."
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone's name (for example V(example.com)) or id.
    type: str
    required: true
    aliases: [name, zone_id]
  settings:
    description:
      - Setting id to desired value. Ids and values are those of the Cloudflare API.
      - "On/off settings accept V(on)/V(off) or a YAML boolean (unquoted C(on) is a boolean in YAML):
        C(0rtt), C(advanced_ddos), C(always_online), C(always_use_https), C(automatic_https_rewrites), C(brotli),
        C(browser_check), C(china_network_enabled), C(content_converter), C(development_mode), C(early_hints),
        C(email_obfuscation), C(hotlink_protection), C(http2), C(http3), C(ip_geolocation), C(ipv6), C(mirage),
        C(opportunistic_encryption), C(opportunistic_onion), C(orange_to_orange), C(origin_error_page_pass_thru),
        C(prefetch_preload), C(pre_render), C(privacy_pass), C(redirects_for_ai_training), C(replace_insecure_js),
        C(response_buffering), C(rocket_loader), C(search_for_agents), C(server_side_exclude), C(sha1_support),
        C(sort_query_string_for_cache), C(tls_1_2_only), C(tls_client_auth), C(true_client_ip_header), C(waf),
        C(webmcp_enabled), C(webp), C(websockets)."
      - "Choices: C(ssl) off|flexible|full|strict; C(min_tls_version) 1.0|1.1|1.2|1.3; C(tls_1_3) on|off|zrt;
        C(security_level) off|essentially_off|low|medium|high|under_attack; C(cache_level)
        aggressive|basic|simplified; C(cname_flattening) flatten_at_root|flatten_all; C(h2_prioritization)
        on|off|custom; C(image_resizing) and C(transformations) on|off|open; C(origin_max_http_version) 1|2;
        C(polish) off|lossless|lossy; C(pseudo_ipv4) off|add_header|overwrite_header."
      - "Numbers: C(browser_cache_ttl) seconds, one of 0 (respect existing headers), 30, 60, 120, 300, 1200, 1800,
        3600, 7200, 10800, 14400, 18000, 28800, 43200, 57600, 72000, 86400, 172800, 259200, 345600, 432000, 691200,
        1382400, 2073600, 2678400, 5356800, 16070400, 31536000; C(challenge_ttl) one of 300, 900, 1800, 2700, 3600,
        7200, 10800, 14400, 28800, 57600, 86400, 604800, 2592000, 31536000; C(edge_cache_ttl) one of 30 ... 604800;
        C(max_upload) MB, one of 100, 125, ... 500, 1000, 1500, ... 5000; C(proxy_read_timeout) 1 to 6000 seconds;
        C(origin_h2_max_streams) at least 1."
      - "Others: C(ciphers) a list of cipher names; C(transformations_allowed_origins) and C(webmcp_packs) strings;
        C(ssl_recommender) a boolean; C(security_header) V({strict_transport_security: {enabled, max_age,
        include_subdomains, preload, nosniff}}) with C(max_age) 0 to 31536000; C(nel) V({enabled});
        C(aegis) V({enabled, pool_id}); C(automatic_platform_optimization) V({enabled, cf, wordpress, wp_plugin,
        hostnames, cache_by_device_type})."
    type: dict
    required: true
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
notes:
  - A setting that the zone's plan does not allow changing (C(editable) false) is refused before any write when
    its value would change.
  - The module does not reset settings it is not given; there is no C(state) option.
"""

EXAMPLES = r"""
- name: TLS and HTTPS for a proxied site
  websoft9.cloudflare.zone_settings:
    zone: example.com
    settings:
      ssl: strict
      always_use_https: "on"
      min_tls_version: "1.2"
      tls_1_3: zrt
      automatic_https_rewrites: "on"
      opportunistic_encryption: "on"
      security_header:
        strict_transport_security:
          enabled: true
          max_age: 31536000
          include_subdomains: true
          nosniff: true

- name: Performance and protocol settings (YAML booleans are accepted for on/off settings)
  websoft9.cloudflare.zone_settings:
    zone: example.com
    settings:
      brotli: true
      http3: true
      early_hints: true
      ipv6: true
      websockets: true
      cache_level: aggressive
      browser_cache_ttl: 14400
      security_level: medium
      browser_check: true
"""

RETURN = r"""
settings:
  description:
    - The managed settings (only those given in O(settings)) after the task; in check mode, as they would be.
  returned: always
  type: dict
  sample: {ssl: strict, always_use_https: "on", min_tls_version: "1.2"}
changed_settings:
  description: The settings that differed and were (or in check mode would be) written, sorted.
  returned: always
  type: list
  elements: str
  sample: [always_use_https, ssl]
zone_id:
  description: The zone's id.
  returned: always
  type: str
  sample: 023e105f4ecef8ad9ca31a8372d0c353
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareAPIError,
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import same
from ansible_collections.websoft9.cloudflare.plugins.module_utils.zone_settings_spec import (
    SETTINGS,
    SettingError,
    canonical,
    comparable,
    merged,
)

FALLBACK_STATUSES = (404, 405, 501)
OWN_ENDPOINT = ("ssl_recommender",)  # written as {"enabled": bool} on its own path, never in the bulk PATCH


def _value_of(item):
    if item.get("id") == "ssl_recommender" or ("value" not in item and "enabled" in item):
        return item.get("enabled")
    return item.get("value")


class ZoneSettings(object):
    def __init__(self, module, cf):
        self.module = module
        self.cf = cf

    def validate(self):
        desired = {}
        errors = []
        for sid, value in sorted((self.module.params["settings"] or {}).items()):
            try:
                desired[sid] = canonical(sid, value)
            except SettingError as exc:
                errors.append(str(exc))
        if errors:
            self.module.fail_json(msg="; ".join(errors), errors=errors)
        if not desired:
            self.module.fail_json(msg="settings: give at least one setting")
        return desired

    # --- reads -----------------------------------------------------------------------------------------------
    def read(self, zone_id, wanted):
        current = {}
        try:
            items = self.cf.request("GET", "/zones/%s/settings" % zone_id, what="zone settings")
            items = items.get("result") if isinstance(items, dict) else items
        except CloudflareAPIError as error:
            if error.status not in FALLBACK_STATUSES:
                self.cf.fail(error)
            items = []
        for item in items or []:
            if isinstance(item, dict) and item.get("id") in wanted:
                current[item["id"]] = item
        for sid in wanted:
            if sid not in current:
                current[sid] = self.cf.get("/zones/%s/settings/%s" % (zone_id, sid), what="zone setting %s" % sid)
        return current

    # --- writes ----------------------------------------------------------------------------------------------
    def write(self, zone_id, changes):
        written = {}
        own = dict((k, v) for k, v in changes.items() if k in OWN_ENDPOINT)
        bulk = dict((k, v) for k, v in changes.items() if k not in OWN_ENDPOINT)
        if bulk:
            body = {"items": [{"id": sid, "value": value} for sid, value in sorted(bulk.items())]}
            try:
                response = self.cf.request("PATCH", "/zones/%s/settings" % zone_id, body=body,
                                           what="zone settings %s" % ", ".join(sorted(bulk)))
                for item in (response.get("result") if isinstance(response, dict) else response) or []:
                    written[item["id"]] = item
            except CloudflareAPIError as error:
                if error.status not in FALLBACK_STATUSES:
                    self.cf.fail(error)
                own.update(bulk)
        for sid, value in sorted(own.items()):
            field = "enabled" if sid == "ssl_recommender" else "value"
            written[sid] = self.cf.patch("/zones/%s/settings/%s" % (zone_id, sid), {field: value},
                                         what="zone setting %s" % sid)
        return written

    def run(self):
        desired = self.validate()
        zone = self.cf.zone(self.module.params["zone"])
        current = self.read(zone["id"], list(desired))
        before, after, changes = {}, {}, {}
        refused = []
        for sid, want in sorted(desired.items()):
            item = current.get(sid) or {}
            have = _value_of(item)
            before[sid] = have
            if SETTINGS[sid]["kind"] == "object":
                target = merged(have, want)
            else:
                target = want
            if same(comparable(sid, want), comparable(sid, have)):
                after[sid] = have
                continue
            if item.get("editable") is False:
                refused.append(sid)
            changes[sid] = target
            after[sid] = target
        if refused:
            self.module.fail_json(msg="settings: %s cannot be changed on this zone (editable is false: the zone's "
                                      "plan does not allow it); nothing was written" % ", ".join(refused),
                                  refused=refused)
        if changes and not self.module.check_mode:
            written = self.write(zone["id"], changes)
            for sid, item in written.items():
                if sid in after:
                    after[sid] = _value_of(item)
        result = {"changed": bool(changes), "changed_settings": sorted(changes), "settings": after,
                  "zone_id": zone["id"]}
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        self.module.exit_json(**result)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["name", "zone_id"]),
        settings=dict(type="dict", required=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    ZoneSettings(module, CloudflareClient(module)).run()


if __name__ == "__main__":
    main()
