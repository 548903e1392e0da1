#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: authenticated_origin_pulls
short_description: Turn Authenticated Origin Pulls on or off for a zone, and bind client certificates to hostnames
version_added: 0.1.0
description:
  - With Authenticated Origin Pulls (AOP) Cloudflare presents a TLS client certificate when it connects to the
    origin, so the origin can refuse every connection that does not come through Cloudflare.
  - O(enabled) switches zone-level AOP, where Cloudflare presents its shared client certificate (the origin
    trusts Cloudflare's C(origin-pull-ca.pem)).
  - O(hostnames) uploads your own client certificates and binds them to hostnames (per-hostname AOP). A
    certificate is recognised by its content, so an unchanged task uploads nothing.
  - Everything is read and validated first; then only what differs is written.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone, by name or id.
    type: str
    required: true
  enabled:
    description:
      - Zone-level Authenticated Origin Pulls on or off. Left as it is when not set.
      - It only has an effect with the zone's SSL mode V(full) or V(strict) (see M(websoft9.cloudflare.zone_settings));
        the module warns when it turns AOP on while the mode is another.
    type: bool
  hostnames:
    description:
      - Per-hostname client certificates. Hostnames not listed are left as they are.
    type: list
    elements: dict
    default: []
    suboptions:
      hostname:
        description: The hostname in the zone, for example V(app.example.com).
        type: str
        required: true
      state:
        description: V(absent) removes the hostname's association (the certificate stays uploaded).
        type: str
        choices: [present, absent]
        default: present
      enabled:
        description: Whether Cloudflare presents the certificate for this hostname.
        type: bool
        default: true
      certificate:
        description: The client certificate, PEM. Or use O(hostnames[].certificate_path).
        type: str
      certificate_path:
        description: A file with the client certificate (PEM) on the host running the module.
        type: path
      private_key:
        description: The certificate's private key, PEM. Or use O(hostnames[].private_key_path).
        type: str
      private_key_path:
        description: A file with the private key (PEM) on the host running the module.
        type: path
  delete_replaced:
    description:
      - Delete an uploaded certificate once this task moved a hostname off it (when Cloudflare still uses it for
        another hostname, it is kept and a warning says so). Per-hostname certificates are limited to 10 per zone.
    type: bool
    default: false
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
requirements:
  - cryptography (a dependency of ansible-core), to check certificates and keys before they are uploaded
notes:
  - The private keys are only sent to Cloudflare (which needs them to present the certificate); they never appear
    in the module's output or diff.
  - Zone-level AOP needs the zone's SSL mode to be V(full) or V(strict); with V(off) or V(flexible) Cloudflare
    connects to the origin without TLS and presents no certificate.
"""

EXAMPLES = r"""
- name: Cloudflare proves itself to the origin with its shared certificate
  websoft9.cloudflare.authenticated_origin_pulls:
    zone: example.com
    enabled: true

- name: Our own client certificate for app.example.com
  websoft9.cloudflare.authenticated_origin_pulls:
    zone: example.com
    hostnames:
      - hostname: app.example.com
        certificate_path: /etc/ssl/aop/client.pem
        private_key_path: /etc/ssl/aop/client.key
    delete_replaced: true

- name: Stop presenting a certificate for old.example.com
  websoft9.cloudflare.authenticated_origin_pulls:
    zone: example.com
    hostnames:
      - hostname: old.example.com
        state: absent
"""

RETURN = r"""
enabled:
  description: Zone-level AOP after the task (when O(enabled) is set).
  returned: when O(enabled) is set
  type: bool
hostnames:
  description: The listed hostnames after the task (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  contains:
    hostname:
      description: The hostname.
      type: str
    cert_id:
      description: The bound certificate's id; null for a removed association or a certificate not yet uploaded.
      type: str
    enabled:
      description: Whether the certificate is presented; null when the association is removed.
      type: bool
    expires_on:
      description: When the certificate expires.
      type: str
uploaded:
  description: Ids of certificates uploaded by this task.
  returned: always
  type: list
  elements: str
deleted:
  description: Ids of certificates deleted by this task (O(delete_replaced)).
  returned: always
  type: list
  elements: str
changed_fields:
  description: Among V(enabled), V(certificates), V(hostnames), V(deleted).
  returned: always
  type: list
  elements: str
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils import crypto_local
from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    ZONE_ID,
    CloudflareAPIError,
    CloudflareClient,
    cloudflare_argument_spec,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import in_zone

LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOSTNAME = re.compile(r"^(%s\.)+%s$" % (LABEL, LABEL))


def _read(path, field):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except (IOError, OSError) as exc:
        raise ValueError("%s: cannot read %s: %s" % (field, path, exc.strerror))


class AOP(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.cf = None
        self.entries = []
        self.changed_fields = []
        self.uploaded = []
        self.deleted = []

    def fail(self, msg):
        self.module.fail_json(msg=msg)

    def validate(self):
        zone = (self.p["zone"] or "").strip().rstrip(".").lower()
        if not zone:
            self.fail("zone: a zone name or id is required")
        seen = set()
        for i, item in enumerate(self.p["hostnames"] or []):
            field = "hostnames[%d]" % i
            host = (item["hostname"] or "").strip().rstrip(".").lower()
            if not HOSTNAME.match(host) or len(host) > 253:
                self.fail("%s.hostname: %r is not a valid hostname" % (field, item["hostname"]))
            if host in seen:
                self.fail("%s.hostname: %s is listed twice" % (field, host))
            seen.add(host)
            if not ZONE_ID.match(zone) and not in_zone(host, zone):
                self.fail("%s.hostname: %s is not in zone %s" % (field, host, zone))
            entry = {"hostname": host, "state": item["state"], "enabled": item["enabled"], "field": field}
            if item["state"] == "present":
                entry.update(self.pair(item, field))
            self.entries.append(entry)

    def pair(self, item, field):
        """Read and check a certificate and its key; return the PEM texts and the certificate's DER."""
        for kind in ("certificate", "private_key"):
            if bool(item[kind]) == bool(item[kind + "_path"]):
                self.fail("%s: give exactly one of %s and %s_path" % (field, kind, kind))
        crypto_local.require(self.module)
        try:
            cert_pem = item["certificate"] or _read(item["certificate_path"], field + ".certificate_path")
            key_pem = item["private_key"] or _read(item["private_key_path"], field + ".private_key_path")
        except ValueError as exc:
            self.fail(str(exc))
        try:
            cert = crypto_local.load_certificate(cert_pem.strip())
        except ValueError as exc:
            self.fail("%s.certificate: %s" % (field, exc))
        try:
            key = crypto_local.load_key(key_pem.strip().encode())
        except ValueError as exc:
            self.fail("%s.private_key: %s" % (field, exc))
        if crypto_local.public_der(key) != crypto_local.public_der(cert):
            self.fail("%s.private_key: it does not belong to the certificate" % field)
        if crypto_local.days_left(cert) <= 0:
            self.fail("%s.certificate: it expired on %s" % (field, crypto_local.not_after(cert).isoformat()))
        return {"certificate": cert_pem.strip() + "\n", "private_key": key_pem.strip() + "\n",
                "der": _der(cert_pem)}

    # --- driver -------------------------------------------------------------------------------------------------
    def run(self):
        self.validate()
        self.cf = CloudflareClient(self.module)
        check = self.module.check_mode
        zone = self.cf.zone(self.p["zone"])
        base = "/zones/%s/origin_tls_client_auth" % zone["id"]
        for entry in self.entries:
            if not in_zone(entry["hostname"], zone["name"]):
                self.fail("%s.hostname: %s is not in zone %s" % (entry["field"], entry["hostname"], zone["name"]))
        before, after = {}, {}
        result = {}

        # read everything first
        setting = None
        if self.p["enabled"] is not None:
            setting = self.cf.get(base + "/settings", what="Authenticated Origin Pulls setting of %s" % zone["name"])
        certs = []
        if any(e["state"] == "present" for e in self.entries):
            certs = self.cf.get(base + "/hostnames/certificates", what="hostname client certificates") or []
        actual = {}
        for entry in self.entries:
            actual[entry["hostname"]] = self.cf.get("%s/hostnames/%s" % (base, entry["hostname"]),
                                                    what="client certificate of %s" % entry["hostname"],
                                                    missing_ok=True)
        by_der = {}
        for cert in certs:
            der = _der(cert.get("certificate"))
            if der and cert.get("status") not in ("pending_deletion", "deleted", "deletion_timed_out"):
                by_der.setdefault(der, cert)

        # zone-level switch
        if setting is not None:
            before["enabled"] = bool(setting.get("enabled"))
            after["enabled"] = self.p["enabled"]
            result["enabled"] = self.p["enabled"]
            if before["enabled"] != self.p["enabled"]:
                self.changed_fields.append("enabled")
                if self.p["enabled"]:
                    self.warn_ssl_mode(zone)
                if not check:
                    result["enabled"] = bool(self.cf.put(base + "/settings", {"enabled": self.p["enabled"]},
                                                         what="Authenticated Origin Pulls of %s" % zone["name"])
                                             .get("enabled"))

        # per hostname: certificates to upload, associations to change
        config = []
        replaced = set()
        views_before, views_after = [], []
        for entry in self.entries:
            host = entry["hostname"]
            assoc = actual[host]
            views_before.append(_assoc_view(host, assoc))
            if entry["state"] == "absent":
                if assoc and assoc.get("enabled") is not None:
                    config.append({"hostname": host, "cert_id": assoc.get("cert_id"), "enabled": None})
                    replaced.add(assoc.get("cert_id"))
                views_after.append({"hostname": host, "cert_id": None, "enabled": None})
                continue
            cert = by_der.get(entry["der"])
            if cert is None:
                if "certificates" not in self.changed_fields:
                    self.changed_fields.append("certificates")
                if check:
                    cert = {"id": None}
                else:
                    cert = self.upload(base, entry)
                    by_der[entry["der"]] = cert
            if (not assoc or assoc.get("cert_id") != cert["id"] or cert["id"] is None
                    or assoc.get("enabled") is not entry["enabled"]):
                config.append({"hostname": host, "cert_id": cert["id"], "enabled": entry["enabled"]})
                if assoc and assoc.get("cert_id") and assoc.get("cert_id") != cert["id"]:
                    replaced.add(assoc["cert_id"])
            views_after.append({"hostname": host, "cert_id": cert["id"], "enabled": entry["enabled"],
                                "expires_on": cert.get("expires_on")})
        if config:
            self.changed_fields.append("hostnames")
            if not check:
                self.cf.put(base + "/hostnames", {"config": config}, what="hostname client certificate associations")
        keep = set(c["id"] for c in by_der.values() if any(v["cert_id"] == c["id"] for v in views_after))
        if self.p["delete_replaced"]:
            for cert_id in sorted(c for c in replaced if c and c not in keep):
                self.delete_cert(base, cert_id, check)
        result.update(changed=bool(self.changed_fields), changed_fields=self.changed_fields, hostnames=views_after,
                      uploaded=self.uploaded, deleted=self.deleted)
        if self.module._diff:
            if self.entries:
                before["hostnames"] = views_before
                after["hostnames"] = views_after
            result["diff"] = {"before": before, "after": after}
        self.module.exit_json(**result)

    def upload(self, base, entry):
        body = {"certificate": entry["certificate"], "private_key": entry["private_key"]}

        def reconcile():
            for cert in self.cf.get(base + "/hostnames/certificates", what="hostname client certificates") or []:
                if _der(cert.get("certificate")) == entry["der"]:
                    return cert
            return None

        cert = self.cf.post(base + "/hostnames/certificates", body, what="client certificate for %s" % entry["hostname"],
                            reconcile=reconcile)
        self.uploaded.append(cert["id"])
        return cert

    def delete_cert(self, base, cert_id, check):
        if check:
            self.deleted.append(cert_id)
            if "deleted" not in self.changed_fields:
                self.changed_fields.append("deleted")
            return
        try:
            self.cf.request("DELETE", "%s/hostnames/certificates/%s" % (base, cert_id),
                            what="client certificate %s" % cert_id)
        except CloudflareAPIError as error:
            if error.status == 404:
                return
            if error.status == 400:
                self.module.warn("client certificate %s was kept: %s" % (cert_id, error))
                return
            self.cf.fail(error)
        self.deleted.append(cert_id)
        if "deleted" not in self.changed_fields:
            self.changed_fields.append("deleted")

    def warn_ssl_mode(self, zone):
        try:
            mode = self.cf.request("GET", "/zones/%s/settings/ssl" % zone["id"], what="SSL mode")
        except CloudflareAPIError:
            return
        value = ((mode or {}).get("result") or {}).get("value")
        if value not in ("full", "strict", None):
            self.module.warn("zone %s has SSL mode %s: Authenticated Origin Pulls only works with full or strict"
                             % (zone["name"], value))


def _der(pem):
    if not pem:
        return None
    try:
        from cryptography.hazmat.primitives import serialization
        return crypto_local.load_certificate(pem.strip()).public_bytes(serialization.Encoding.DER)
    except (ValueError, ImportError):
        return None


def _assoc_view(host, assoc):
    if not assoc:
        return {"hostname": host, "cert_id": None, "enabled": None}
    return {"hostname": host, "cert_id": assoc.get("cert_id"), "enabled": assoc.get("enabled"),
            "expires_on": assoc.get("expires_on")}


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True),
        enabled=dict(type="bool"),
        hostnames=dict(type="list", elements="dict", default=[], options=dict(
            hostname=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            enabled=dict(type="bool", default=True),
            certificate=dict(type="str"),
            certificate_path=dict(type="path"),
            private_key=dict(type="str", no_log=True),
            private_key_path=dict(type="path", no_log=False),
        )),
        delete_replaced=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    AOP(module).run()


if __name__ == "__main__":
    main()
