"""authenticated_origin_pulls against the emulator: zone switch, hostname certificates by content, secrecy."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.websoft9.cloudflare.plugins.module_utils import client as client_mod


def pair(cn="origin-pull", days=365):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=2))
            .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("example.com")


@pytest.fixture
def sent(monkeypatch):
    bodies = []
    original = client_mod.CloudflareClient._send

    def spy(self, method, path, body=None, **kwargs):
        bodies.append({"method": method, "path": path, "body": body})
        return original(self, method, path, body=body, **kwargs)
    monkeypatch.setattr(client_mod.CloudflareClient, "_send", spy)
    return bodies


def test_zone_switch(emulator, run_module, zone):
    emulator.api("PATCH", "/zones/%s/settings/ssl" % zone["id"], {"value": "strict"})
    emulator.clear_requests()
    result = run_module("authenticated_origin_pulls", {"zone": "example.com", "enabled": True}, diff=True)
    assert result["changed"] is True and result["enabled"] is True
    assert result["diff"]["before"]["enabled"] is False and result["diff"]["after"]["enabled"] is True
    assert not result.get("warnings")
    assert emulator.requests()["by_route"] == {
        "GET /zones": 1, "GET /zones/{zone_id}/origin_tls_client_auth/settings": 1,
        "GET /zones/{zone_id}/settings/{setting_id}": 1, "PUT /zones/{zone_id}/origin_tls_client_auth/settings": 1}
    emulator.clear_requests()
    again = run_module("authenticated_origin_pulls", {"zone": zone["id"], "enabled": True})
    assert again["changed"] is False
    assert emulator.requests()["by_route"] == {"GET /zones/{zone_id}": 1,
                                               "GET /zones/{zone_id}/origin_tls_client_auth/settings": 1}
    check = run_module("authenticated_origin_pulls", {"zone": "example.com", "enabled": False}, check_mode=True)
    assert check["changed"] is True
    assert emulator.api("GET", "/zones/%s/origin_tls_client_auth/settings" % zone["id"])["result"]["enabled"] is True


def test_warns_when_ssl_mode_is_not_full(emulator, run_module, zone, capfd):
    result = run_module("authenticated_origin_pulls", {"zone": "example.com", "enabled": True})
    assert result["changed"] is True
    # In the result, or shown directly when an earlier test left ansible's in-process display set up.
    shown = json.dumps(result.get("warnings")) + "".join(capfd.readouterr())
    assert "has SSL mode flexible: Authenticated Origin Pulls only works with full or strict" in shown


def test_hostname_certificate_uploaded_once_and_bound(emulator, run_module, zone, sent, tmp_path):
    cert, key = pair()
    (tmp_path / "c.pem").write_text(cert)
    (tmp_path / "c.key").write_text(key)
    args = {"zone": "example.com", "hostnames": [
        {"hostname": "App.example.com", "certificate": cert, "private_key": key},
        {"hostname": "api.example.com", "certificate_path": str(tmp_path / "c.pem"),
         "private_key_path": str(tmp_path / "c.key")}]}
    result = run_module("authenticated_origin_pulls", args, diff=True)
    assert result["changed"] is True, result
    assert result["changed_fields"] == ["certificates", "hostnames"]
    assert len(result["uploaded"]) == 1  # same content: one upload for both hostnames
    cert_id = result["uploaded"][0]
    assert [h["cert_id"] for h in result["hostnames"]] == [cert_id, cert_id]
    assert result["diff"]["before"]["hostnames"][0] == {"hostname": "app.example.com", "cert_id": None,
                                                        "enabled": None}
    by_route = emulator.requests()["by_route"]
    assert by_route["POST /zones/{zone_id}/origin_tls_client_auth/hostnames/certificates"] == 1
    assert by_route["PUT /zones/{zone_id}/origin_tls_client_auth/hostnames"] == 1
    put = [s for s in sent if s["method"] == "PUT"][0]["body"]
    assert put == {"config": [{"hostname": "app.example.com", "cert_id": cert_id, "enabled": True},
                              {"hostname": "api.example.com", "cert_id": cert_id, "enabled": True}]}
    key_body = "".join(key.strip().splitlines()[1:-1])[:40]
    assert key_body not in json.dumps(result)
    got = emulator.api("GET", "/zones/%s/origin_tls_client_auth/hostnames/app.example.com" % zone["id"])["result"]
    assert got["cert_id"] == cert_id and got["enabled"] is True

    emulator.clear_requests()
    again = run_module("authenticated_origin_pulls", args)
    assert again["changed"] is False, again
    log = emulator.requests()
    assert log["writes"] == 0
    assert log["by_route"] == {"GET /zones": 1, "GET /zones/{zone_id}/origin_tls_client_auth/hostnames/certificates": 1,
                               "GET /zones/{zone_id}/origin_tls_client_auth/hostnames/{hostname}": 2}


def test_rotation_disable_and_absent(emulator, run_module, zone):
    old_cert, old_key = pair("old")
    first = run_module("authenticated_origin_pulls", {"zone": "example.com", "hostnames": [
        {"hostname": "app.example.com", "certificate": old_cert, "private_key": old_key}]})
    old_id = first["uploaded"][0]
    new_cert, new_key = pair("new")
    rotated = run_module("authenticated_origin_pulls", {"zone": "example.com", "delete_replaced": True, "hostnames": [
        {"hostname": "app.example.com", "certificate": new_cert, "private_key": new_key}]}, diff=True)
    assert rotated["changed_fields"] == ["certificates", "hostnames", "deleted"]
    assert rotated["deleted"] == [old_id]
    assert rotated["diff"]["before"]["hostnames"][0]["cert_id"] == old_id
    listed = emulator.api("GET", "/zones/%s/origin_tls_client_auth/hostnames/certificates" % zone["id"])["result"]
    assert [c["id"] for c in listed] == rotated["uploaded"]

    disabled = run_module("authenticated_origin_pulls", {"zone": "example.com", "hostnames": [
        {"hostname": "app.example.com", "certificate": new_cert, "private_key": new_key, "enabled": False}]})
    assert disabled["changed_fields"] == ["hostnames"] and disabled["uploaded"] == []
    gone = run_module("authenticated_origin_pulls", {"zone": "example.com", "hostnames": [
        {"hostname": "app.example.com", "state": "absent"}]})
    assert gone["changed_fields"] == ["hostnames"]
    assert emulator.api("GET", "/zones/%s/origin_tls_client_auth/hostnames/app.example.com"
                        % zone["id"])["success"] is False
    emulator.clear_requests()
    assert run_module("authenticated_origin_pulls", {"zone": "example.com", "hostnames": [
        {"hostname": "app.example.com", "state": "absent"}]})["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_check_mode_uploads_nothing(emulator, run_module, zone):
    cert, key = pair()
    result = run_module("authenticated_origin_pulls", {"zone": "example.com", "enabled": True, "hostnames": [
        {"hostname": "app.example.com", "certificate": cert, "private_key": key}]}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["changed_fields"] == ["enabled", "certificates", "hostnames"]
    assert result["hostnames"][0]["cert_id"] is None
    assert emulator.requests()["writes"] == 0


def test_bad_input_refused_before_any_request(emulator, run_module, zone, tmp_path):
    cert, key = pair()
    other_key = pair()[1]
    expired_cert, expired_key = pair(days=-1)
    cases = [
        ({"hostname": "app.other.net", "certificate": cert, "private_key": key}, "is not in zone example.com"),
        ({"hostname": "bad host", "certificate": cert, "private_key": key}, "is not a valid hostname"),
        ({"hostname": "app.example.com", "certificate": cert, "private_key": other_key},
         "hostnames[0].private_key: it does not belong to the certificate"),
        ({"hostname": "app.example.com", "certificate": "nope", "private_key": key},
         "hostnames[0].certificate: not a PEM certificate"),
        ({"hostname": "app.example.com", "certificate": cert}, "give exactly one of private_key and private_key_path"),
        ({"hostname": "app.example.com", "certificate": expired_cert, "private_key": expired_key}, "it expired on"),
        ({"hostname": "app.example.com", "certificate_path": str(tmp_path / "missing.pem"), "private_key": key},
         "hostnames[0].certificate_path: cannot read"),
    ]
    for item, message in cases:
        result = run_module("authenticated_origin_pulls", {"zone": "example.com", "hostnames": [item]})
        assert result["failed"] is True, item
        assert message in result["msg"], result["msg"]
        assert "".join(key.strip().splitlines()[1:-1])[:40] not in json.dumps(result)
    assert emulator.requests()["total"] == 0


def test_missing_cryptography_fails_with_install_hint(emulator, run_module, zone, monkeypatch):
    from ansible_collections.websoft9.cloudflare.plugins.module_utils import crypto_local
    cert, key = pair()
    monkeypatch.setattr(crypto_local, "HAS_CRYPTOGRAPHY", False)
    result = run_module("authenticated_origin_pulls", {"zone": "example.com", "hostnames": [
        {"hostname": "app.example.com", "certificate": cert, "private_key": key}]})
    assert result["failed"] is True and "pip install 'cryptography>=3.3'" in result["msg"]
    assert emulator.requests()["total"] == 0
    assert run_module("authenticated_origin_pulls", {"zone": "example.com", "enabled": True})["changed"] is True
