"""TLS of the emulator's health probes towards origins: what Cloudflare's monitors do on the wire.

- SNI: the probe's TLS server name is the Host header of the check (the origin's Host header, else the
  monitor's), as Cloudflare sends it; a Websoft9 gateway (Nginx Proxy Manager) rejects an unknown SNI.
- Trust: unless the monitor has ``allow_insecure``, the origin's certificate must chain to a public CA or to the
  emulator's Origin CA (certificates.py issues Origin CA certificates; Cloudflare trusts its own Origin CA).
- Authenticated Origin Pulls: the probe presents the emulator's shared origin-pull client certificate, signed by
  the emulator's origin-pull CA (the stand-in for Cloudflare's ``origin-pull-ca.pem``). Tests make an origin
  require it by installing that CA, which ``GET /__emulator__/origin_pull/ca`` returns. The CA and client
  certificate are made once per emulator state (kept in the state file, key ``origin_pull``).
  Assumption: Cloudflare presents the zone-level client certificate on health checks too; the emulator always
  presents it (a certificate nobody asked for is ignored by a TLS server).
"""
from __future__ import annotations

import http.client
import os
import ssl
import tempfile
from datetime import datetime, timedelta, timezone

from .core import control_route

KEY = "origin_pull"
_FILES = {}


def _identity(st):
    data = st.coll(KEY)
    if not data.get("client_certificate"):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.now(timezone.utc) - timedelta(minutes=5)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CloudFlare, Inc."),
                             x509.NameAttribute(NameOID.COMMON_NAME, "origin-pull.cloudflare.net (emulator CA)")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now)
              .not_valid_after(now + timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CloudFlare, Inc."),
                                         x509.NameAttribute(NameOID.COMMON_NAME, "origin-pull.cloudflare.net")]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem = serialization.Encoding.PEM
        data.update(ca_certificate=ca.public_bytes(pem).decode(), client_certificate=cert.public_bytes(pem).decode(),
                    client_key=key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode())
        st.save()
    return data


def _client_files(st):
    data = _identity(st)
    cached = _FILES.get(data["client_certificate"])
    if cached and all(os.path.exists(p) for p in cached):
        return cached
    paths = []
    for text in (data["client_certificate"], data["client_key"]):
        fd, path = tempfile.mkstemp(prefix="cfemu-origin-pull-", suffix=".pem")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        paths.append(path)
    _FILES[data["client_certificate"]] = tuple(paths)
    return tuple(paths)


def _origin_ca_pems():
    """Self-signed certificates of the emulator's Origin CA keys (same name and key: a valid trust anchor)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        from . import certificates
    except ImportError:  # pragma: no cover
        return []
    now = datetime.now(timezone.utc) - timedelta(days=1)
    pems = []
    for key, name in list(certificates._CAS.values()):
        ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
              .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=36500))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(key, hashes.SHA256()))
        pems.append(ca.public_bytes(serialization.Encoding.PEM).decode())
    return pems


class _Connection(http.client.HTTPSConnection):
    """HTTPS to an address with another TLS server name (the Host of the check)."""

    def __init__(self, address, port, server_hostname, **kwargs):
        super().__init__(address, port, **kwargs)
        self._server_hostname = server_hostname

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_hostname)


def https_connection(st, address, port, host_header, timeout, allow_insecure):
    context = ssl.create_default_context()
    if allow_insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        for pem in _origin_ca_pems():
            context.load_verify_locations(cadata=pem)
    certfile, keyfile = _client_files(st)
    context.load_cert_chain(certfile, keyfile)
    sni = (host_header or "").split(":")[0].strip("[]") or address
    return _Connection(address, port, sni, timeout=timeout, context=context)


@control_route("GET", "/origin_pull/ca")
def control_origin_pull_ca(req, st):
    """The CA an origin must trust to require the emulator's origin-pull client certificate."""
    return {"certificate": _identity(st)["ca_certificate"]}
