# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private keys, CSRs and certificates handled on the controller with the ``cryptography`` package.

Private keys are generated and read here and written to files by the module; they are never sent anywhere and
never returned. Only the CSR (public) goes to Cloudflare.

Why ``cryptography`` and no ``openssl`` fallback: ansible-core itself depends on ``cryptography``, so it is present
wherever the controller runs; a second code path through the ``openssl`` CLI would double what has to be tested for
no practical gain. When it is missing, modules fail with the pip command that installs it.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone

from ansible.module_utils.basic import missing_required_lib

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

CRYPTOGRAPHY_REQUIREMENT = "cryptography>=3.3"
KEY_TYPES = {"origin-rsa": "rsa", "origin-ecc": "ecc"}


def require(module):
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib(CRYPTOGRAPHY_REQUIREMENT, url="https://pypi.org/project/cryptography/")
                         + " Install it with: pip install '%s'" % CRYPTOGRAPHY_REQUIREMENT,
                         exception=str(CRYPTOGRAPHY_IMPORT_ERROR))


def generate_key(kind, rsa_bits=2048):
    """A new private key: ``kind`` is 'rsa' (RSA, rsa_bits) or 'ecc' (ECDSA P-256)."""
    if kind == "ecc":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)


def key_kind(key):
    if isinstance(key, rsa.RSAPrivateKey) or isinstance(key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePrivateKey) or isinstance(key, ec.EllipticCurvePublicKey):
        return "ecc"
    return "other"


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_key(data, passphrase=None):
    """A private key from PEM bytes; raises ValueError with a message that never contains the key."""
    try:
        return serialization.load_pem_private_key(data, password=passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        raise ValueError("not a readable PEM private key (%s)" % type(exc).__name__)


def make_csr(key, hostnames):
    """A CSR for ``hostnames`` (CN = the first, SANs = all) signed by ``key``, as PEM text."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def load_csr(text):
    try:
        return x509.load_pem_x509_csr(text.encode() if isinstance(text, str) else text)
    except (ValueError, TypeError):
        raise ValueError("not a PEM certificate signing request")


def load_certificate(text):
    try:
        return x509.load_pem_x509_certificate(text.encode() if isinstance(text, str) else text)
    except (ValueError, TypeError):
        raise ValueError("not a PEM certificate")


def public_der(obj):
    """The DER SubjectPublicKeyInfo of a private key, CSR or certificate (to compare keys)."""
    public = obj.public_key() if hasattr(obj, "public_key") else obj
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=timezone.utc)
    return value


def dns_names(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return ext.value.get_values_for_type(x509.DNSName)


def serial(cert):
    return str(cert.serial_number)


def days_left(cert, now=None):
    now = now or datetime.now(timezone.utc)
    return (not_after(cert) - now).total_seconds() / 86400.0


def write_private(path, data, mode=0o600):
    """Write ``data`` to ``path`` atomically through a temporary file created with ``mode`` from the start
    (the key is never readable by others, not even for a moment). Returns True."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True
