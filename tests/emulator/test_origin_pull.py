"""The emulator's HTTPS health probes behave like Cloudflare's monitors on the wire: TLS server name = the check's
Host, the origin's Origin CA certificate is trusted, the origin-pull client certificate is presented (its CA at
GET /__emulator__/origin_pull/ca), and an untrusted certificate fails unless allow_insecure."""
from __future__ import annotations

import datetime
import socket
import ssl
import threading

import pytest

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

HOST = "app.example.test"


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _origin_ca_certificate(emulator):
    key = rsa.generate_private_key(65537, 2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])).sign(key, hashes.SHA256()))
    body = emulator.api("POST", "/certificates", {
        "csr": csr.public_bytes(serialization.Encoding.PEM).decode(), "hostnames": [HOST],
        "request_type": "origin-rsa", "requested_validity": 7})
    assert body["success"], body
    return body["result"]["certificate"], _pem_key(key)


def _self_signed():
    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode(), _pem_key(key)


class Origin:
    """A loopback HTTPS origin that requires a client certificate from the given CA and records the SNI."""

    def __init__(self, tmp_path, cert_pem, key_pem, client_ca_pem):
        (tmp_path / "cert.pem").write_text(cert_pem)
        (tmp_path / "key.pem").write_text(key_pem)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.load_verify_locations(cadata=client_ca_pem)
        self.server_names, self.client_subjects = [], []
        self.context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    self.client_subjects.append(dict(x[0] for x in tls.getpeercert()["subject"]))
                    tls.recv(4096)
                    tls.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self):
        self.sock.close()


def _probe(emulator, port, allow_insecure=False):
    acc = emulator.account_id
    mon = emulator.api("POST", "/accounts/%s/load_balancers/monitors" % acc, {
        "type": "https", "path": "/health", "port": port, "header": {"Host": [HOST]}, "expected_codes": "200",
        "allow_insecure": allow_insecure, "retries": 0, "timeout": 3, "interval": 60})["result"]
    pool = emulator.api("POST", "/accounts/%s/load_balancers/pools" % acc, {
        "name": "p%d%s" % (port, "i" if allow_insecure else ""), "monitor": mon["id"],
        "origins": [{"name": "o1", "address": "127.0.0.1"}]})["result"]
    report = emulator.control("POST", "/lb/probe", {"pool": pool["id"], "timeout_cap": 3})
    return report["pools"][pool["id"]]["origins"]["o1"]


@pytest.fixture
def pull_ca(emulator):
    emulator.add_zone("example.test")
    return emulator.control("GET", "/origin_pull/ca")["certificate"]


def test_probe_sends_the_host_as_sni_trusts_origin_ca_and_presents_the_pull_certificate(emulator, pull_ca, tmp_path):
    cert, key = _origin_ca_certificate(emulator)
    origin = Origin(tmp_path, cert, key, pull_ca)
    try:
        state = _probe(emulator, origin.port)
    finally:
        origin.close()
    assert state["healthy"] is True, state
    assert state["response_code"] == 200
    assert origin.server_names == [HOST]
    assert origin.client_subjects[0]["commonName"] == "origin-pull.cloudflare.net"
    # the CA is part of the state (a restarted emulator with its state file presents the same certificate)
    assert emulator.state.data["origin_pull"]["ca_certificate"] == pull_ca


def test_untrusted_origin_certificate_fails_unless_allow_insecure(emulator, pull_ca, tmp_path):
    cert, key = _self_signed()
    origin = Origin(tmp_path, cert, key, pull_ca)
    try:
        strict = _probe(emulator, origin.port)
        insecure = _probe(emulator, origin.port, allow_insecure=True)
    finally:
        origin.close()
    assert strict["healthy"] is False
    assert "CERTIFICATE_VERIFY_FAILED" in strict["failure_reason"]
    assert insecure["healthy"] is True, insecure
