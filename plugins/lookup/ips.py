# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ips
short_description: Cloudflare's IPv4 and IPv6 edge ranges
version_added: 0.1.0
description:
  - Returns the address ranges Cloudflare's edge connects to origins from, read from the public
    C(GET /ips) endpoint of the Cloudflare API (no credentials are needed).
  - Use it to let only Cloudflare reach an origin (firewall rules, C(set_real_ip_from) in nginx, trusted proxies).
  - When the API cannot be reached or answers something unusable, a list bundled with the collection is returned
    instead and a warning says why, unless O(fallback=false), which makes that an error.
  - Without terms it returns one dict with C(ipv4_cidrs) and C(ipv6_cidrs). With terms V(ipv4), V(ipv6) or V(all)
    it returns the list of ranges (V(all) is IPv4 then IPv6).
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  _terms:
    description: Which ranges to return as a flat list; V(ipv4), V(ipv6) or V(all). None returns the dict.
    type: list
    elements: str
    required: false
  api_base_url:
    description: The Cloudflare API base URL (an emulator or a proxy can be used).
    type: str
    default: https://api.cloudflare.com/client/v4
    env:
      - name: CLOUDFLARE_BASE_URL
    vars:
      - name: cloudflare_api_base_url
  timeout:
    description: Seconds to wait for the API.
    type: float
    default: 10
  validate_certs:
    description: Verify the API's TLS certificate.
    type: bool
    default: true
  fallback:
    description:
      - Return the bundled list (with a warning) when the API cannot be used.
      - With V(false), an unusable answer is an error.
    type: bool
    default: true
notes:
  - The bundled list is Cloudflare's published list as of the collection's release; it changes rarely, but the
    warning is worth acting on if it keeps appearing.
seealso:
  - name: Cloudflare IP ranges
    description: The published lists.
    link: https://www.cloudflare.com/ips/
"""

EXAMPLES = r"""
- name: Show both lists
  ansible.builtin.debug:
    msg: "{{ lookup('websoft9.cloudflare.ips') }}"

- name: Trust the real client address only from Cloudflare (nginx)
  ansible.builtin.copy:
    dest: /etc/nginx/conf.d/cloudflare-real-ip.conf
    content: |
      {% for cidr in query('websoft9.cloudflare.ips', 'all') %}
      set_real_ip_from {{ cidr }};
      {% endfor %}
      real_ip_header CF-Connecting-IP;

- name: Allow HTTPS to the origin only from Cloudflare's IPv4 ranges
  community.general.ufw:
    rule: allow
    port: "443"
    proto: tcp
    from_ip: "{{ item }}"
  loop: "{{ query('websoft9.cloudflare.ips', 'ipv4') }}"

- name: Fail instead of using the bundled list
  ansible.builtin.set_fact:
    cloudflare_ranges: "{{ lookup('websoft9.cloudflare.ips', fallback=false) }}"
"""

RETURN = r"""
_raw:
  description:
    - Without terms, one dict; with terms, the ranges as strings.
  type: list
  elements: raw
  contains:
    ipv4_cidrs:
      description: IPv4 ranges in CIDR notation.
      type: list
      elements: str
      sample: [173.245.48.0/20, 103.21.244.0/22]
    ipv6_cidrs:
      description: IPv6 ranges in CIDR notation.
      type: list
      elements: str
      sample: ["2400:cb00::/32", "2606:4700::/32"]
    etag:
      description: The API's version tag of the lists (null for the bundled list).
      type: str
    source:
      description: V(api) when read from the API, V(bundled) when the bundled fallback was used.
      type: str
      sample: api
"""

import ipaddress
import json

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import open_url
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.websoft9.cloudflare.plugins.module_utils.cloudflare_ips import BUNDLED_ON, bundled

display = Display()
TERMS = ("ipv4", "ipv6", "all")


class Unusable(Exception):
    pass


def _checked(cidrs, version, name):
    if not isinstance(cidrs, list) or not cidrs:
        raise Unusable("the answer has no %s list" % name)
    out = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(to_text(cidr), strict=False)
        except ValueError:
            raise Unusable("the answer's %s has %r, which is not a network" % (name, cidr))
        if network.version != version:
            raise Unusable("the answer's %s has %r, which is not IPv%d" % (name, cidr, version))
        out.append(str(network))
    return out


def fetch(base_url, timeout, validate_certs):
    """The API's lists, or Unusable with the reason."""
    url = base_url.rstrip("/") + "/ips"
    try:
        response = open_url(url, method="GET", timeout=timeout, validate_certs=validate_certs,
                            headers={"Accept": "application/json"}, http_agent="websoft9.cloudflare ips lookup")
        raw = response.read()
    except Exception as exc:  # HTTPError, URLError, timeouts, TLS errors: every reason to fall back
        code = getattr(exc, "code", None)
        raise Unusable("GET %s failed: %s" % (url, ("HTTP %s" % code) if code else to_text(exc)))
    try:
        body = json.loads(to_text(raw))
    except ValueError:
        raise Unusable("GET %s did not answer JSON" % url)
    if not isinstance(body, dict) or body.get("success") is not True or not isinstance(body.get("result"), dict):
        errors = body.get("errors") if isinstance(body, dict) else None
        raise Unusable("GET %s was not successful%s" % (url, (": %s" % errors) if errors else ""))
    result = body["result"]
    return {"ipv4_cidrs": _checked(result.get("ipv4_cidrs"), 4, "ipv4_cidrs"),
            "ipv6_cidrs": _checked(result.get("ipv6_cidrs"), 6, "ipv6_cidrs"),
            "etag": result.get("etag"), "source": "api"}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        wanted = [to_text(t).strip().lower() for t in terms or []]
        bad = [t for t in wanted if t not in TERMS]
        if bad:
            raise AnsibleError("websoft9.cloudflare.ips: unknown term(s) %s; use ipv4, ipv6 or all"
                               % ", ".join(repr(b) for b in bad))
        try:
            ranges = fetch(self.get_option("api_base_url"), self.get_option("timeout"),
                           self.get_option("validate_certs"))
        except Unusable as reason:
            if not self.get_option("fallback"):
                raise AnsibleError("websoft9.cloudflare.ips: %s (fallback is disabled)" % reason)
            display.warning("websoft9.cloudflare.ips: using the bundled list of Cloudflare ranges (bundled on %s) "
                            "because %s" % (BUNDLED_ON, reason))
            ranges = bundled()
        if not wanted:
            return [ranges]
        out = []
        for term in wanted:
            if term in ("ipv4", "all"):
                out.extend(ranges["ipv4_cidrs"])
            if term in ("ipv6", "all"):
                out.extend(ranges["ipv6_cidrs"])
        return out
