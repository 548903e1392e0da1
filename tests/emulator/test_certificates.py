"""Origin CA certificates and Authenticated Origin Pulls in the emulator, through the official SDK's models."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import cloudflare
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@pytest.fixture
def sdk(emulator):
    return cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)


def make_csr(key, names):
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())


def self_signed(cn="client", days=365, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem, key_pem


def test_origin_ca_issue_list_get_revoke(emulator, sdk):
    zone = emulator.add_zone("example.com")
    key = rsa.generate_private_key(65537, 2048)
    cert = sdk.origin_ca_certificates.create(csr=make_csr(key, ["example.com"]), hostnames=["example.com", "*.Example.com"],
                                             request_type="origin-rsa", requested_validity=90)
    assert cert.hostnames == ["example.com", "*.example.com"]
    assert cert.requested_validity == 90 and cert.request_type == "origin-rsa"
    parsed = x509.load_pem_x509_certificate(cert.certificate.encode())
    assert str(parsed.serial_number) == cert.id
    assert parsed.public_key().public_numbers() == key.public_key().public_numbers()
    sans = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert sans == ["example.com", "*.example.com"]
    assert abs((parsed.not_valid_after_utc - datetime.now(timezone.utc)).days - 90) <= 1
    assert cert.expires_on.endswith("+0000 UTC")
    assert "Origin" in parsed.issuer.rfc4514_string()

    listed = list(sdk.origin_ca_certificates.list(zone_id=zone["id"]))
    assert [c.id for c in listed] == [cert.id]
    assert sdk.origin_ca_certificates.get(cert.id).hostnames == cert.hostnames
    revoked = sdk.origin_ca_certificates.delete(cert.id)
    assert revoked.id == cert.id and revoked.revoked_at is not None
    assert list(sdk.origin_ca_certificates.list(zone_id=zone["id"])) == []


def test_origin_ca_default_validity_and_ecc(emulator, sdk):
    emulator.add_zone("example.org")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = sdk.origin_ca_certificates.create(csr=make_csr(key, ["a.example.org"]), hostnames=["a.example.org"],
                                             request_type="origin-ecc")
    assert cert.requested_validity == 5475
    parsed = x509.load_pem_x509_certificate(cert.certificate.encode())
    assert "ECC" in parsed.issuer.rfc4514_string()


def test_origin_ca_validation(emulator, sdk):
    emulator.add_zone("example.com")
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), ["example.com"])
    cases = [
        (dict(csr="garbage", hostnames=["example.com"], request_type="origin-ecc"), "/csr"),
        (dict(csr=csr, hostnames=["other.net"], request_type="origin-ecc"), "/hostnames"),
        (dict(csr=csr, hostnames=["*.com"], request_type="origin-ecc"), "/hostnames"),
        (dict(csr=csr, hostnames=[], request_type="origin-ecc"), "/hostnames"),
        (dict(csr=csr, hostnames=["example.com"], request_type="origin-dsa"), "/request_type"),
        (dict(csr=csr, hostnames=["example.com"], request_type="origin-ecc", requested_validity=10),
         "/requested_validity"),
    ]
    for body, pointer in cases:
        with pytest.raises(cloudflare.BadRequestError) as caught:
            sdk.post("/certificates", body=body, cast_to=object)
        assert caught.value.body["errors"][0]["source"]["pointer"] == pointer, body
    with pytest.raises(cloudflare.BadRequestError):
        sdk.get("/certificates", cast_to=object)  # zone_id is required
    with pytest.raises(cloudflare.NotFoundError):
        sdk.origin_ca_certificates.get("12345")


def test_origin_ca_list_pages_and_zone_scope(emulator, sdk):
    a = emulator.add_zone("a.example")
    emulator.add_zone("b.example")
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), ["x"])
    for i in range(7):
        sdk.origin_ca_certificates.create(csr=csr, hostnames=["h%d.a.example" % i], request_type="origin-ecc")
    sdk.origin_ca_certificates.create(csr=csr, hostnames=["b.example"], request_type="origin-ecc")
    page = sdk.get("/certificates", cast_to=object, options={"params": {"zone_id": a["id"], "per_page": 5}})
    assert page["result_info"]["total_count"] == 7 and page["result_info"]["total_pages"] == 2
    assert len(list(sdk.origin_ca_certificates.list(zone_id=a["id"], per_page=5))) == 7


def test_origin_ca_service_key_auth(emulator):
    zone = emulator.add_zone("example.com")
    sdk = cloudflare.Cloudflare(user_service_key=emulator.token, base_url=emulator.base_url, max_retries=0)
    sdk.api_token = sdk.api_key = sdk.api_email = None
    assert list(sdk.origin_ca_certificates.list(zone_id=zone["id"])) == []
    with pytest.raises(cloudflare.APIStatusError):
        sdk.zones.get(zone_id=zone["id"])  # the Origin CA key is only good for /certificates
    wrong = cloudflare.Cloudflare(user_service_key="wrong", base_url=emulator.base_url, max_retries=0)
    wrong.api_token = wrong.api_key = wrong.api_email = None
    with pytest.raises(cloudflare.AuthenticationError):
        list(wrong.origin_ca_certificates.list(zone_id=zone["id"]))


def test_aop_zone_setting(emulator, sdk):
    zone = emulator.add_zone("example.com")
    assert sdk.origin_tls_client_auth.settings.get(zone_id=zone["id"]).enabled is False
    assert sdk.origin_tls_client_auth.settings.update(zone_id=zone["id"], enabled=True).enabled is True
    assert sdk.origin_tls_client_auth.settings.get(zone_id=zone["id"]).enabled is True
    with pytest.raises(cloudflare.BadRequestError):
        sdk.put("/zones/%s/origin_tls_client_auth/settings" % zone["id"], body={"enabled": "yes"}, cast_to=object)


def test_aop_hostname_certificates_and_associations(emulator, sdk):
    zone = emulator.add_zone("example.com")
    pem, key_pem = self_signed("origin-pull")
    created = sdk.origin_tls_client_auth.hostname_certificates.create(zone_id=zone["id"], certificate=pem,
                                                                      private_key=key_pem)
    assert created.status == "active" and created.serial_number and created.expires_on
    assert "private_key" not in sdk.get("/zones/%s/origin_tls_client_auth/hostnames/certificates/%s"
                                        % (zone["id"], created.id), cast_to=object)["result"]
    listed = list(sdk.origin_tls_client_auth.hostname_certificates.list(zone_id=zone["id"]))
    assert [c.id for c in listed] == [created.id]

    bound = list(sdk.origin_tls_client_auth.hostnames.update(
        zone_id=zone["id"], config=[{"hostname": "App.example.com", "cert_id": created.id, "enabled": True}]))
    assert bound[0].hostname == "app.example.com" and bound[0].enabled is True
    got = sdk.origin_tls_client_auth.hostnames.get("app.example.com", zone_id=zone["id"])
    assert got.cert_id == created.id and got.cert_status == "active"

    with pytest.raises(cloudflare.BadRequestError):  # still associated
        sdk.origin_tls_client_auth.hostname_certificates.delete(created.id, zone_id=zone["id"])
    sdk.origin_tls_client_auth.hostnames.update(
        zone_id=zone["id"], config=[{"hostname": "app.example.com", "cert_id": created.id, "enabled": None}])
    with pytest.raises(cloudflare.NotFoundError):
        sdk.origin_tls_client_auth.hostnames.get("app.example.com", zone_id=zone["id"])
    assert sdk.origin_tls_client_auth.hostname_certificates.delete(created.id, zone_id=zone["id"]).id == created.id


def test_aop_rejects_mismatched_key_and_foreign_hostname(emulator, sdk):
    zone = emulator.add_zone("example.com")
    pem = self_signed()[0]
    other_key = self_signed()[1]
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.origin_tls_client_auth.hostname_certificates.create(zone_id=zone["id"], certificate=pem,
                                                                private_key=other_key)
    assert "does not match" in caught.value.body["errors"][0]["message"]
    pem, key_pem = self_signed()
    created = sdk.origin_tls_client_auth.hostname_certificates.create(zone_id=zone["id"], certificate=pem,
                                                                      private_key=key_pem)
    with pytest.raises(cloudflare.BadRequestError):
        sdk.origin_tls_client_auth.hostnames.update(
            zone_id=zone["id"], config=[{"hostname": "app.other.net", "cert_id": created.id, "enabled": True}])
    with pytest.raises(cloudflare.NotFoundError):
        sdk.origin_tls_client_auth.hostnames.update(
            zone_id=zone["id"], config=[{"hostname": "app.example.com", "cert_id": "0" * 32, "enabled": True}])


def test_aop_zone_certificate(emulator, sdk):
    zone = emulator.add_zone("example.com")
    pem, key_pem = self_signed()
    created = sdk.origin_tls_client_auth.zone_certificates.create(zone_id=zone["id"], certificate=pem, private_key=key_pem)
    assert created.status == "active"
    assert [c.id for c in sdk.origin_tls_client_auth.zone_certificates.list(zone_id=zone["id"])] == [created.id]
    sdk.origin_tls_client_auth.zone_certificates.delete(created.id, zone_id=zone["id"])
    assert list(sdk.origin_tls_client_auth.zone_certificates.list(zone_id=zone["id"])) == []
