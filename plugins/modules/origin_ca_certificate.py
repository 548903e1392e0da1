#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_ca_certificate
short_description: Issue, renew and revoke a Cloudflare Origin CA certificate, keeping the private key local
version_added: 0.1.0
description:
  - Issues a Cloudflare Origin CA certificate for a list of hostnames, for the TLS connection between Cloudflare
    and the origin (zone SSL mode V(full) or V(strict)).
  - The private key is generated (or read) on the host running the module and written to O(private_key_path);
    only a certificate signing request (CSR) made from it is sent to Cloudflare. The key never appears in the
    module's output, diff or logs.
  - Idempotent. An active certificate that covers exactly O(hostnames) (order and case do not matter) and was
    issued for the local key is kept; a new one is issued when there is none, or when the kept one expires within
    O(renew_before_days) days.
  - When O(certificate_path) already holds such a certificate, one request (a read of that certificate) is all an
    unchanged run costs (with O(revoke_replaced=true) the zone's certificates are listed as well).
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  state:
    description:
      - V(present) makes sure a valid certificate exists and is written to the files.
      - V(absent) revokes every active certificate of O(zone) for exactly O(hostnames); when a local key (or
        O(csr)) is available, only those issued for that key. Files are left in place.
    type: str
    choices: [present, absent]
    default: present
  zone:
    description:
      - The zone (name or id) the hostnames belong to; Cloudflare lists Origin CA certificates per zone.
      - With only an O(origin_ca_key) (no API token) give the zone B(id), because the key cannot read zones.
    type: str
    required: true
  hostnames:
    description:
      - The hostnames the certificate covers, for example V(example.com) and V(*.example.com).
      - A wildcard is only allowed as a single leading V(*.) label over at least two labels.
    type: list
    elements: str
    required: true
  request_type:
    description:
      - V(origin-rsa) (RSA key, signed by the RSA Origin CA) or V(origin-ecc) (ECDSA P-256 key).
      - An existing private key must be of the matching type.
    type: str
    choices: [origin-rsa, origin-ecc]
    default: origin-rsa
  requested_validity:
    description:
      - Days a newly issued certificate is valid. Only used when a certificate is issued; an existing certificate
        with another validity is kept.
    type: int
    choices: [7, 30, 90, 365, 730, 1095, 5475]
    default: 5475
  renew_before_days:
    description:
      - Issue a new certificate when the current one expires within this many days.
    type: int
    default: 30
  private_key_path:
    description:
      - File holding the private key (PEM). Read when it exists; otherwise a new key is generated and written
        there (RSA 2048 or ECDSA P-256, unencrypted PKCS#8) before anything is sent to Cloudflare.
      - Required unless O(csr) is given.
      - Its directory must exist; in check mode a missing directory is not an error (the key would be written).
    type: path
  csr:
    description:
      - A PEM CSR made elsewhere, sent instead of one generated from O(private_key_path). When both are given, the
        CSR must belong to the key.
    type: str
  certificate_path:
    description:
      - File the certificate (PEM) is written to. When not set the certificate is only returned.
      - Its directory must exist; in check mode a missing directory is not an error (the file would be written).
    type: path
  private_key_mode:
    description:
      - Permissions of the private key file (octal string).
    type: str
    default: '0600'
  certificate_mode:
    description:
      - Permissions of the certificate file (octal string).
    type: str
    default: '0644'
  owner:
    description:
      - Owner of the written files (name or uid). Default is the user running the module.
    type: str
  group:
    description:
      - Group of the written files (name or gid).
    type: str
  revoke_replaced:
    description:
      - After issuing a certificate, revoke the other active certificates of the zone issued for the same key
        (the one renewed, or one for a former list of hostnames).
    type: bool
    default: false
  origin_ca_key:
    description:
      - A Cloudflare Origin CA key, sent as C(X-Auth-User-Service-Key), as an alternative to an API token with the
        C(SSL and Certificates) permission.
      - If not set, the value of the E(CLOUDFLARE_ORIGIN_CA_KEY) environment variable is used.
    type: str
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes
requirements:
  - cryptography (a dependency of ansible-core; install it with C(pip install cryptography) if it is missing)
notes:
  - Origin CA certificates are trusted by Cloudflare only, not by browsers; use them on origins behind the proxy.
  - Revoked certificates drop out of Cloudflare's list; a revoked certificate is never kept.
"""

EXAMPLES = r"""
- name: Origin certificate for the site, key made and kept on this host
  websoft9.cloudflare.origin_ca_certificate:
    zone: example.com
    hostnames: [example.com, "*.example.com"]
    private_key_path: /etc/ssl/private/example.com.key
    certificate_path: /etc/ssl/certs/example.com.pem
    group: www-data
    private_key_mode: '0640'
  notify: Reload nginx

- name: ECDSA certificate valid one year, renewed two months before expiry, old one revoked
  websoft9.cloudflare.origin_ca_certificate:
    zone: example.com
    hostnames: [api.example.com]
    request_type: origin-ecc
    requested_validity: 365
    renew_before_days: 60
    revoke_replaced: true
    private_key_path: /etc/ssl/private/api.key
    certificate_path: /etc/ssl/certs/api.pem

- name: Revoke it
  websoft9.cloudflare.origin_ca_certificate:
    zone: example.com
    hostnames: [api.example.com]
    state: absent
"""

RETURN = r"""
certificate:
  description: The certificate kept or issued (in check mode, as it would be; C(id) is null when it would be new).
  returned: always
  type: dict
  contains:
    id:
      description: The certificate's id (its serial number).
      type: str
    hostnames:
      description: The hostnames covered.
      type: list
      elements: str
    request_type:
      description: V(origin-rsa) or V(origin-ecc).
      type: str
    requested_validity:
      description: Validity in days asked for at issue.
      type: int
    expires_on:
      description: When the certificate expires, as returned by Cloudflare.
      type: str
    certificate:
      description: The certificate, PEM.
      type: str
      returned: when present and not in check mode
revoked:
  description: Ids of the certificates revoked by this task.
  returned: always
  type: list
  elements: str
certificate_path:
  description: Where the certificate was written.
  returned: when O(certificate_path) is set
  type: str
private_key_path:
  description: Where the private key is. The key itself is never returned.
  returned: when O(private_key_path) is set
  type: str
"""

import os
import re
import tempfile
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.websoft9.cloudflare.plugins.module_utils import crypto_local
from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    ZONE_ID,
    CloudflareClient,
    cloudflare_argument_spec,
)

LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOSTNAME = re.compile(r"^(\*\.)?(%s\.)+%s$" % (LABEL, LABEL))
META = ("id", "hostnames", "request_type", "requested_validity", "expires_on")


def _parse_api_time(text):
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S +0000 UTC", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return None


class OriginCACertificate(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.cf = None
        self.key = None          # the local private key object (never output)
        self.key_generated = False
        self.csr = None          # CSR object given by the user
        self.public = None       # DER public key of the local key / CSR
        self.file_cert = None    # PEM text of certificate_path when it parses
        self.hostnames = []
        self.changed = False
        self.revoked = []
        self.listed = None
        self._zone_id = None

    # --- validation (before any request) ---------------------------------------------------------------------
    def fail(self, msg):
        self.module.fail_json(msg=msg)

    def validate(self):
        p = self.p
        names = []
        for raw in p["hostnames"] or []:
            name = (raw or "").strip().rstrip(".").lower()
            if not HOSTNAME.match(name) or len(name) > 253 or (name.startswith("*.") and name.count(".") < 2):
                self.fail("hostnames: %r is not a valid hostname (a fully qualified name; a wildcard only as one "
                          "leading '*.' over at least two labels)" % raw)
            if name not in names:
                names.append(name)
        if not names:
            self.fail("hostnames: at least one hostname is required")
        self.hostnames = names
        if not (p["zone"] or "").strip():
            self.fail("zone: a zone name or id is required")
        if p["renew_before_days"] < 0:
            self.fail("renew_before_days: must be 0 or more")
        for field in ("private_key_mode", "certificate_mode"):
            if not re.match(r"^0?[0-7]{3,4}$", p[field] or ""):
                self.fail("%s: %r is not an octal file mode such as '0600'" % (field, p[field]))
        crypto_local.require(self.module)
        kind = crypto_local.KEY_TYPES[p["request_type"]]
        if p["csr"]:
            try:
                self.csr = crypto_local.load_csr(p["csr"].strip())
            except ValueError as exc:
                self.fail("csr: %s" % exc)
            if crypto_local.key_kind(self.csr.public_key()) != kind:
                self.fail("csr: its key is not of the type request_type %s needs (%s)" % (p["request_type"], kind))
            self.public = crypto_local.public_der(self.csr)
        elif p["state"] == "present" and not p["private_key_path"]:
            self.fail("private_key_path: required (where the private key is kept) unless csr is given")
        path = p["private_key_path"]
        if path:
            if os.path.isdir(path):
                self.fail("private_key_path: %s is a directory" % path)
            if os.path.exists(path):
                try:
                    with open(path, "rb") as fh:
                        self.key = crypto_local.load_key(fh.read())
                except (IOError, OSError) as exc:
                    self.fail("private_key_path: cannot read %s: %s" % (path, exc.strerror))
                except ValueError as exc:
                    self.fail("private_key_path: %s is %s" % (path, exc))
                if crypto_local.key_kind(self.key) != kind:
                    self.fail("private_key_path: the key in %s is %s but request_type %s needs %s; remove the file "
                              "to have a new key made, or change request_type" % (
                                  path, crypto_local.key_kind(self.key).upper(), p["request_type"], kind.upper()))
                public = crypto_local.public_der(self.key)
                if self.public is not None and public != self.public:
                    self.fail("csr: it was not made from the key in private_key_path %s" % path)
                self.public = public
            elif p["state"] == "present":
                self.require_directory("private_key_path", path)
        cpath = p["certificate_path"]
        if cpath:
            if os.path.isdir(cpath):
                self.fail("certificate_path: %s is a directory" % cpath)
            if os.path.exists(cpath):
                try:
                    with open(cpath) as fh:
                        text = fh.read()
                    crypto_local.load_certificate(text)
                    self.file_cert = text
                except (IOError, OSError, ValueError):
                    self.module.warn("certificate_path %s does not hold a readable certificate; it will be "
                                     "replaced" % cpath)
            elif p["state"] == "present":
                self.require_directory("certificate_path", cpath)

    def require_directory(self, field, path):
        """The file will be written, so its directory must exist. In check mode nothing is written, and the
        directory is typically made by a task just before that check mode does not run either: a missing
        directory is then just a file that would be written (changed, no request), not an error."""
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory) and not self.module.check_mode:
            self.fail("%s: directory %s does not exist" % (field, directory))

    # --- reading ------------------------------------------------------------------------------------------------
    def zone_id(self):
        if self._zone_id is None:
            zone = self.p["zone"].strip().lower()
            self._zone_id = zone if ZONE_ID.match(zone) else self.cf.zone(zone)["id"]
        return self._zone_id

    def list_certificates(self):
        if self.listed is None:
            self.listed = self.cf.list("/certificates", query={"zone_id": self.zone_id()},
                                       what="Origin CA certificates of zone %s" % self.p["zone"], per_page=50)
        return self.listed

    def _same_hostnames(self, cert):
        return sorted(h.lower().rstrip(".") for h in cert.get("hostnames") or []) == sorted(self.hostnames)

    def _parsed(self, cert):
        try:
            return crypto_local.load_certificate(cert.get("certificate") or "")
        except ValueError:
            return None

    def _ours(self, cert):
        """Issued for the local key (or CSR); unknown when there is none."""
        if self.public is None:
            return False
        parsed = self._parsed(cert)
        return parsed is not None and crypto_local.public_der(parsed) == self.public

    def days_left(self, cert):
        parsed = self._parsed(cert)
        if parsed is not None:
            return crypto_local.days_left(parsed)
        expires = _parse_api_time(cert.get("expires_on"))
        if expires is None:
            return 0
        return (expires - datetime.now(timezone.utc)).total_seconds() / 86400.0

    def fresh(self, cert):
        return not cert.get("revoked_at") and self.days_left(cert) > self.p["renew_before_days"]

    def from_file(self):
        """The fast path: certificate_path already holds a good certificate for our key; check it is still
        active at Cloudflare with one read."""
        if not self.file_cert or self.public is None or self.p["revoke_replaced"]:
            return None
        parsed = crypto_local.load_certificate(self.file_cert)
        names = sorted(n.lower() for n in crypto_local.dns_names(parsed))
        if (crypto_local.public_der(parsed) != self.public or names != sorted(self.hostnames)
                or crypto_local.days_left(parsed) <= self.p["renew_before_days"]):
            return None
        serial = crypto_local.serial(parsed)
        cert = self.cf.get("/certificates/%s" % serial, what="Origin CA certificate %s" % serial, missing_ok=True)
        if cert and self._same_hostnames(cert) and self._ours(cert) and self.fresh(cert):
            return cert
        return None

    def find(self):
        cert = self.from_file()
        if cert:
            return cert
        mine = [c for c in self.list_certificates() if self._same_hostnames(c) and self._ours(c) and self.fresh(c)]
        mine.sort(key=self.days_left)
        return mine[-1] if mine else None

    # --- writing ------------------------------------------------------------------------------------------------
    def issue(self):
        if self.csr is not None:
            csr_pem = self.p["csr"].strip() + "\n"
        else:
            if self.key is None:
                self.key = crypto_local.generate_key(crypto_local.KEY_TYPES[self.p["request_type"]])
                self.key_generated = True
                self.write_key()
                self.public = crypto_local.public_der(self.key)
            csr_pem = crypto_local.make_csr(self.key, self.hostnames)
        before = set(c["id"] for c in (self.listed or []))
        body = {"csr": csr_pem, "hostnames": self.hostnames, "request_type": self.p["request_type"],
                "requested_validity": self.p["requested_validity"]}

        def reconcile():
            self.listed = None
            for cert in self.list_certificates():
                if cert["id"] not in before and self._same_hostnames(cert) and self._ours(cert):
                    return cert
            return None

        return self.cf.post("/certificates", body, what="Origin CA certificate for %s" % ", ".join(self.hostnames),
                            reconcile=reconcile)

    def write_key(self):
        path = self.p["private_key_path"]
        crypto_local.write_private(path, crypto_local.key_pem(self.key), int(self.p["private_key_mode"], 8))
        self.changed = True

    def write_certificate(self, pem):
        path = self.p["certificate_path"]
        if not path:
            return
        if self.file_cert != pem:
            self.changed = True
            if not self.module.check_mode:
                fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path),
                                           dir=os.path.dirname(os.path.abspath(path)))
                with os.fdopen(fd, "w") as fh:
                    fh.write(pem)
                os.chmod(tmp, int(self.p["certificate_mode"], 8))
                os.replace(tmp, path)
        self.set_attributes(path, self.p["certificate_mode"])

    def set_attributes(self, path, mode):
        if not os.path.exists(path):
            return
        changed = self.module.set_mode_if_different(path, mode, False)
        if self.p["owner"]:
            changed = self.module.set_owner_if_different(path, self.p["owner"], changed)
        if self.p["group"]:
            changed = self.module.set_group_if_different(path, self.p["group"], changed)
        self.changed = self.changed or changed

    def revoke(self, cert):
        self.changed = True
        self.revoked.append(cert["id"])
        if not self.module.check_mode:
            self.cf.delete("/certificates/%s" % cert["id"], what="Origin CA certificate %s" % cert["id"])

    # --- driver -------------------------------------------------------------------------------------------------
    def run(self):
        self.validate()
        self.cf = CloudflareClient(self.module)
        if self.p["state"] == "absent":
            return self.absent()
        current = self.find()
        before = self.meta(current)
        if current is None:
            self.changed = True
            if self.module.check_mode:
                cert = {"id": None, "hostnames": self.hostnames, "request_type": self.p["request_type"],
                        "requested_validity": self.p["requested_validity"], "expires_on": None}
            else:
                cert = self.issue()
        else:
            cert = current
        if cert.get("certificate"):
            self.write_certificate(cert["certificate"])
        if self.p["private_key_path"] and not self.key_generated:
            self.set_attributes(self.p["private_key_path"], self.p["private_key_mode"])
        if self.p["revoke_replaced"] and self.public is not None:
            for old in self.list_certificates():
                if old["id"] != cert.get("id") and self._ours(old) and not old.get("revoked_at"):
                    self.revoke(old)
        view = self.meta(cert)
        if cert.get("certificate"):
            view["certificate"] = cert["certificate"]
        self.exit(view, before, self.meta(cert))

    def absent(self):
        found = [c for c in self.list_certificates() if self._same_hostnames(c) and not c.get("revoked_at")
                 and (self.public is None or self._ours(c))]
        for cert in found:
            self.revoke(cert)
        before = self.meta(found[0]) if found else {}
        self.exit({}, before, {})

    @staticmethod
    def meta(cert):
        if not cert:
            return {}
        return dict((k, cert.get(k)) for k in META)

    def exit(self, view, before, after):
        result = {"changed": self.changed, "certificate": view, "revoked": self.revoked}
        for key in ("certificate_path", "private_key_path"):
            if self.p[key]:
                result[key] = self.p[key]
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        self.module.exit_json(**result)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        zone=dict(type="str", required=True),
        hostnames=dict(type="list", elements="str", required=True),
        request_type=dict(type="str", choices=["origin-rsa", "origin-ecc"], default="origin-rsa"),
        requested_validity=dict(type="int", choices=[7, 30, 90, 365, 730, 1095, 5475], default=5475),
        renew_before_days=dict(type="int", default=30),
        private_key_path=dict(type="path"),
        csr=dict(type="str"),
        certificate_path=dict(type="path"),
        private_key_mode=dict(type="str", default="0600", no_log=False),
        certificate_mode=dict(type="str", default="0644"),
        owner=dict(type="str"),
        group=dict(type="str"),
        revoke_replaced=dict(type="bool", default=False),
        origin_ca_key=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDFLARE_ORIGIN_CA_KEY"])),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    OriginCACertificate(module).run()


if __name__ == "__main__":
    main()
