"""Origin CA certificates (/certificates) and Authenticated Origin Pulls (/zones/{id}/origin_tls_client_auth).

Certificates are real X.509 certificates signed by an emulator CA when the ``cryptography`` package is importable
(it is wherever ansible-core is), otherwise clearly fake PEM blocks. Facts: reference/cloudflare-api.md B and C9,
SDK types origin_ca_certificates/* and origin_tls_client_auth/*. Error codes marked "emulator-chosen" are not
documented by Cloudflare; only their HTTP status and meaning are meant to be faithful.
"""
from __future__ import annotations

import base64
import json
import random
import re
from datetime import datetime, timedelta, timezone

from .core import CFError, paginate, route

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

REQUEST_TYPES = ("origin-rsa", "origin-ecc", "keyless-certificate")
VALIDITIES = (7, 30, 90, 365, 730, 1095, 5475)
HOSTNAME = re.compile(r"^(\*\.)?((?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_HOSTNAME_CERTS = 10       # "10 hostname certificates per zone are allowed" (OpenAPI)
MAX_ASSOCIATIONS_PER_CERT = 100
ORIGIN_CA = "origin_ca_certificates"
AOP = "zone:origin_tls_client_auth"   # "zone:" prefix: dropped with the zone (zones.delete_zone)

_CAS = {}


def _time(dt):
    """Origin CA times as the API prints them (Go style)."""
    return dt.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ca(kind):
    """A process-wide emulator CA per key type (not part of the JSON state; the issued PEMs are)."""
    if kind not in _CAS:
        key = ec.generate_private_key(ec.SECP256R1()) if kind == "ecc" else rsa.generate_private_key(65537, 2048)
        cn = "CloudFlare Origin SSL %sCertificate Authority (emulator)" % ("ECC " if kind == "ecc" else "")
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CloudFlare, Inc."),
                          x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CloudFlare Origin SSL Certificate Authority"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        _CAS[kind] = (key, name)
    return _CAS[kind]


def _parse_csr(text):
    if not isinstance(text, str) or "-----BEGIN CERTIFICATE REQUEST-----" not in text:
        raise CFError(400, 1012, "The CSR is invalid: expected a PEM certificate signing request", pointer="/csr")
    if not HAS_CRYPTOGRAPHY:
        return None
    try:
        csr = x509.load_pem_x509_csr(text.encode())
    except ValueError:
        raise CFError(400, 1012, "The CSR is invalid: it could not be parsed", pointer="/csr")
    if not csr.is_signature_valid:
        raise CFError(400, 1012, "The CSR is invalid: bad signature", pointer="/csr")
    return csr


def _issue(csr, hostnames, request_type, days):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    expires = now + timedelta(days=days)
    if not HAS_CRYPTOGRAPHY:
        serial = random.SystemRandom().getrandbits(127)
        fake = base64.b64encode(json.dumps({"FAKE": "emulator certificate", "hostnames": hostnames,
                                            "not_after": _iso(expires)}).encode()).decode()
        return serial, expires, "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % fake
    ca_key, ca_name = _ca("ecc" if request_type == "origin-ecc" else "rsa")
    serial = x509.random_serial_number()
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CloudFlare, Inc."),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CloudFlare Origin CA"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "CloudFlare Origin Certificate")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(csr.public_key())
            .serial_number(serial).not_valid_before(now).not_valid_after(expires)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return serial, expires, cert.public_bytes(serialization.Encoding.PEM).decode()


def _zones_of(st, hostname):
    bare = hostname[2:] if hostname.startswith("*.") else hostname
    return [z["id"] for z in st.data["zones"].values() if bare == z["name"] or bare.endswith("." + z["name"])]


def _cert_view(cert):
    view = {k: cert[k] for k in ("id", "certificate", "csr", "expires_on", "hostnames", "request_type",
                                 "requested_validity")}
    if cert.get("revoked_at"):
        view["revoked_at"] = cert["revoked_at"]
    return view


# --- Origin CA -------------------------------------------------------------------------------------------------


@route("POST", "/certificates")
def create_certificate(req, st):
    body = req.json
    hostnames = body.get("hostnames")
    if not isinstance(hostnames, list) or not hostnames or not all(isinstance(h, str) for h in hostnames):
        raise CFError(400, 1001, "hostnames must be a non-empty list of hostnames", pointer="/hostnames")
    request_type = body.get("request_type")
    if request_type not in REQUEST_TYPES:
        raise CFError(400, 1001, "request_type must be one of %s" % ", ".join(REQUEST_TYPES), pointer="/request_type")
    validity = body.get("requested_validity", 5475)
    if validity not in VALIDITIES or isinstance(validity, bool):
        raise CFError(400, 1001, "requested_validity must be one of %s" % ", ".join(map(str, VALIDITIES)),
                      pointer="/requested_validity")
    names = []
    zone_ids = set()
    for raw in hostnames:
        name = raw.strip().lower().rstrip(".")
        if not HOSTNAME.match(name) or (name.startswith("*.") and name.count(".") < 2):
            raise CFError(400, 1010, "Invalid hostname: %s" % raw, pointer="/hostnames")  # emulator-chosen code
        zones = _zones_of(st, name)
        if not zones:
            raise CFError(400, 1010, "The hostname %s does not belong to a zone on your account" % raw,
                          pointer="/hostnames")
        zone_ids.update(zones)
        if name not in names:
            names.append(name)
    csr = _parse_csr(body.get("csr"))
    serial, expires, pem = _issue(csr, names, request_type, validity)
    cert = {"id": str(serial), "certificate": pem, "csr": body["csr"], "expires_on": _time(expires),
            "hostnames": names, "request_type": request_type, "requested_validity": validity,
            "zone_ids": sorted(zone_ids), "created_at": st.now(), "revoked_at": None}
    st.coll(ORIGIN_CA)[cert["id"]] = cert
    return _cert_view(cert)


@route("GET", "/certificates")
def list_certificates(req, st):
    zone_id = req.arg("zone_id")
    if not zone_id:
        raise CFError(400, 1001, "zone_id is required", pointer="/zone_id")
    st.zone(zone_id)
    certs = [c for c in st.coll(ORIGIN_CA).values() if zone_id in c["zone_ids"] and not c["revoked_at"]]
    certs.sort(key=lambda c: c["created_at"])
    return paginate(req, [_cert_view(c) for c in certs], default_per_page=20, max_per_page=50)


def _certificate(st, certificate_id):
    cert = st.coll(ORIGIN_CA).get(certificate_id)
    if cert is None:
        raise CFError(404, 1003, "Certificate not found")  # emulator-chosen code
    return cert


@route("GET", "/certificates/{certificate_id}")
def get_certificate(req, st, certificate_id):
    return _cert_view(_certificate(st, certificate_id))


@route("DELETE", "/certificates/{certificate_id}")
def revoke_certificate(req, st, certificate_id):
    cert = _certificate(st, certificate_id)
    if not cert["revoked_at"]:
        cert["revoked_at"] = st.now()
    return {"id": cert["id"], "revoked_at": cert["revoked_at"]}


# --- Authenticated Origin Pulls ----------------------------------------------------------------------------------


def _aop(st, zone_id):
    st.zone(zone_id)
    empty = {"enabled": False, "zone_certs": {}, "hostname_certs": {}, "hostnames": {}}
    return st.coll(AOP).setdefault(zone_id, empty)


def _check_pair(certificate, private_key):
    """Parse an uploaded client certificate and check the key belongs to it; returns the cert's metadata."""
    if not isinstance(certificate, str) or "-----BEGIN CERTIFICATE-----" not in certificate:
        raise CFError(400, 1402, "The certificate is invalid: expected a PEM certificate", pointer="/certificate")
    if not isinstance(private_key, str) or "PRIVATE KEY-----" not in private_key:
        raise CFError(400, 1403, "The private key is invalid: expected a PEM private key", pointer="/private_key")
    if not HAS_CRYPTOGRAPHY:
        expires = datetime.now(timezone.utc) + timedelta(days=365)
        return {"expires_on": _iso(expires), "issuer": "unknown", "serial_number": "0", "signature": "unknown"}
    try:
        cert = x509.load_pem_x509_certificate(certificate.encode())
    except ValueError:
        raise CFError(400, 1402, "The certificate is invalid: it could not be parsed", pointer="/certificate")
    try:
        key = serialization.load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError):
        raise CFError(400, 1403, "The private key is invalid: it could not be parsed", pointer="/private_key")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if (key.public_key().public_bytes(serialization.Encoding.DER, spki)
            != cert.public_key().public_bytes(serialization.Encoding.DER, spki)):
        raise CFError(400, 1404, "The private key does not match the certificate", pointer="/private_key")
    after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=timezone.utc)
    algorithm = cert.signature_hash_algorithm.name.upper() if cert.signature_hash_algorithm else "UNKNOWN"
    kind = "ECDSA" if isinstance(key, ec.EllipticCurvePrivateKey) else "RSA"
    return {"expires_on": _iso(after), "issuer": cert.issuer.rfc4514_string(), "serial_number": str(cert.serial_number),
            "signature": "%sWith%s" % (algorithm, kind)}


def _stored_cert(st, body):
    meta = _check_pair(body.get("certificate"), body.get("private_key"))
    now = st.now()
    cert = {"id": st.new_id(), "certificate": body["certificate"].strip() + "\n", "status": "active",
            "uploaded_on": now, "updated_at": now, "created_at": now}
    cert.update(meta)
    return cert


def _public(cert, fields):
    return {k: cert.get(k) for k in fields}


ZONE_CERT_FIELDS = ("id", "certificate", "expires_on", "issuer", "signature", "status", "uploaded_on", "enabled")
HOST_CERT_FIELDS = ("id", "certificate", "expires_on", "issuer", "serial_number", "signature", "status",
                    "uploaded_on")


@route("GET", "/zones/{zone_id}/origin_tls_client_auth/settings")
def get_aop_setting(req, st, zone_id):
    return {"enabled": _aop(st, zone_id)["enabled"]}


@route("PUT", "/zones/{zone_id}/origin_tls_client_auth/settings")
def put_aop_setting(req, st, zone_id):
    aop = _aop(st, zone_id)
    enabled = req.json.get("enabled")
    if not isinstance(enabled, bool):
        raise CFError(400, 1001, "enabled must be a boolean", pointer="/enabled")
    aop["enabled"] = enabled
    return {"enabled": enabled}


@route("POST", "/zones/{zone_id}/origin_tls_client_auth/hostnames/certificates")
def upload_hostname_cert(req, st, zone_id):
    aop = _aop(st, zone_id)
    if len(aop["hostname_certs"]) >= MAX_HOSTNAME_CERTS:
        raise CFError(400, 1405, "Maximum of %d hostname certificates per zone reached" % MAX_HOSTNAME_CERTS)
    cert = _stored_cert(st, req.json)
    aop["hostname_certs"][cert["id"]] = cert
    return _public(cert, HOST_CERT_FIELDS)


@route("GET", "/zones/{zone_id}/origin_tls_client_auth/hostnames/certificates")
def list_hostname_certs(req, st, zone_id):
    aop = _aop(st, zone_id)
    return [_public(c, HOST_CERT_FIELDS) for c in sorted(aop["hostname_certs"].values(), key=lambda c: c["uploaded_on"])]


def _hostname_cert(aop, certificate_id):
    cert = aop["hostname_certs"].get(certificate_id)
    if cert is None:
        raise CFError(404, 1406, "Certificate not found")
    return cert


@route("GET", "/zones/{zone_id}/origin_tls_client_auth/hostnames/certificates/{certificate_id}")
def get_hostname_cert(req, st, zone_id, certificate_id):
    return _public(_hostname_cert(_aop(st, zone_id), certificate_id), HOST_CERT_FIELDS)


@route("DELETE", "/zones/{zone_id}/origin_tls_client_auth/hostnames/certificates/{certificate_id}")
def delete_hostname_cert(req, st, zone_id, certificate_id):
    aop = _aop(st, zone_id)
    cert = _hostname_cert(aop, certificate_id)
    if any(a["cert_id"] == certificate_id for a in aop["hostnames"].values()):
        raise CFError(400, 1407, "The certificate is still associated with a hostname; remove the association first")
    del aop["hostname_certs"][certificate_id]
    view = _public(cert, HOST_CERT_FIELDS)
    view["status"] = "pending_deletion"
    return view


def _association_view(aop, assoc):
    cert = aop["hostname_certs"].get(assoc["cert_id"], {})
    return {"hostname": assoc["hostname"], "cert_id": assoc["cert_id"], "enabled": assoc["enabled"],
            "status": "active", "cert_status": cert.get("status"), "certificate": cert.get("certificate"),
            "expires_on": cert.get("expires_on"), "issuer": cert.get("issuer"),
            "serial_number": cert.get("serial_number"), "signature": cert.get("signature"),
            "cert_uploaded_on": cert.get("uploaded_on"), "cert_updated_at": cert.get("updated_at"),
            "created_at": assoc["created_at"], "updated_at": assoc["updated_at"]}


@route("PUT", "/zones/{zone_id}/origin_tls_client_auth/hostnames")
def put_hostnames(req, st, zone_id):
    aop = _aop(st, zone_id)
    zone = st.zone(zone_id)
    config = req.json.get("config")
    if not isinstance(config, list) or not config:
        raise CFError(400, 1001, "config must be a non-empty list", pointer="/config")
    planned = []
    for i, item in enumerate(config):
        if not isinstance(item, dict):
            raise CFError(400, 1001, "config items must be objects", pointer="/config/%d" % i)
        hostname = (item.get("hostname") or "").strip().lower().rstrip(".")
        if not HOSTNAME.match(hostname) or not (hostname == zone["name"] or hostname.endswith("." + zone["name"])):
            raise CFError(400, 1408, "Invalid hostname %r for this zone" % item.get("hostname"),
                          pointer="/config/%d/hostname" % i)
        enabled = item.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            raise CFError(400, 1001, "enabled must be a boolean or null", pointer="/config/%d/enabled" % i)
        cert_id = item.get("cert_id")
        if enabled is not None:
            _hostname_cert(aop, cert_id)
            used = sum(1 for a in aop["hostnames"].values() if a["cert_id"] == cert_id and a["hostname"] != hostname)
            if used >= MAX_ASSOCIATIONS_PER_CERT:
                raise CFError(400, 1409, "A certificate can have at most %d hostname associations"
                              % MAX_ASSOCIATIONS_PER_CERT)
        planned.append((hostname, cert_id, enabled))
    out = []
    now = st.now()
    for hostname, cert_id, enabled in planned:
        if enabled is None:  # "a null value voids the association"
            gone = aop["hostnames"].pop(hostname, None)
            if gone:
                gone = dict(gone, enabled=None)
                out.append(_association_view(aop, gone))
            continue
        assoc = aop["hostnames"].get(hostname)
        if assoc is None:
            assoc = aop["hostnames"][hostname] = {"hostname": hostname, "created_at": now}
        assoc.update(cert_id=cert_id, enabled=enabled, updated_at=now)
        out.append(_association_view(aop, assoc))
    return out


@route("GET", "/zones/{zone_id}/origin_tls_client_auth/hostnames/{hostname}")
def get_hostname(req, st, zone_id, hostname):
    aop = _aop(st, zone_id)
    assoc = aop["hostnames"].get(hostname.lower().rstrip("."))
    if assoc is None:
        raise CFError(404, 1410, "No client certificate association for hostname %s" % hostname)
    return _association_view(aop, assoc)


@route("POST", "/zones/{zone_id}/origin_tls_client_auth")
def upload_zone_cert(req, st, zone_id):
    aop = _aop(st, zone_id)
    cert = _stored_cert(st, req.json)
    cert["enabled"] = True
    aop["zone_certs"][cert["id"]] = cert
    return _public(cert, ZONE_CERT_FIELDS)


@route("GET", "/zones/{zone_id}/origin_tls_client_auth")
def list_zone_certs(req, st, zone_id):
    aop = _aop(st, zone_id)
    return [_public(c, ZONE_CERT_FIELDS) for c in sorted(aop["zone_certs"].values(), key=lambda c: c["uploaded_on"])]


def _zone_cert(aop, certificate_id):
    cert = aop["zone_certs"].get(certificate_id)
    if cert is None:
        raise CFError(404, 1406, "Certificate not found")
    return cert


@route("GET", "/zones/{zone_id}/origin_tls_client_auth/{certificate_id}")
def get_zone_cert(req, st, zone_id, certificate_id):
    return _public(_zone_cert(_aop(st, zone_id), certificate_id), ZONE_CERT_FIELDS)


@route("DELETE", "/zones/{zone_id}/origin_tls_client_auth/{certificate_id}")
def delete_zone_cert(req, st, zone_id, certificate_id):
    aop = _aop(st, zone_id)
    cert = _zone_cert(aop, certificate_id)
    del aop["zone_certs"][certificate_id]
    view = _public(cert, ZONE_CERT_FIELDS)
    view["status"] = "pending_deletion"
    return view
