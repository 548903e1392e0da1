"""origin_ca_certificate against the emulator: local key, issue, idempotence, renewal, revocation, secrecy."""
from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.websoft9.cloudflare.plugins.module_utils import client as client_mod
from ansible_collections.websoft9.cloudflare.plugins.module_utils import crypto_local


@pytest.fixture
def sent(monkeypatch):
    """Every body the client layer sends (to prove the private key is never among them)."""
    bodies = []
    original = client_mod.CloudflareClient._send

    def spy(self, method, path, body=None, **kwargs):
        bodies.append({"method": method, "path": path, "body": body, "query": kwargs.get("query")})
        return original(self, method, path, body=body, **kwargs)
    monkeypatch.setattr(client_mod.CloudflareClient, "_send", spy)
    return bodies


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("example.com")


def args(tmp_path, **extra):
    base = {"zone": "example.com", "hostnames": ["example.com", "*.example.com"],
            "private_key_path": str(tmp_path / "site.key"), "certificate_path": str(tmp_path / "site.pem")}
    base.update(extra)
    return base


def key_text(tmp_path):
    return (tmp_path / "site.key").read_text()


def test_issue_then_unchanged(emulator, run_module, zone, tmp_path, sent):
    result = run_module("origin_ca_certificate", args(tmp_path), diff=True)
    assert result["changed"] is True, result
    cert = result["certificate"]
    assert cert["hostnames"] == ["example.com", "*.example.com"]
    assert cert["request_type"] == "origin-rsa" and cert["requested_validity"] == 5475
    assert emulator.requests()["by_route"] == {"GET /zones": 1, "GET /certificates": 1, "POST /certificates": 1}
    assert result["diff"]["before"] == {} and result["diff"]["after"]["id"] == cert["id"]

    key_pem = key_text(tmp_path)
    assert "PRIVATE KEY" in key_pem
    assert stat.S_IMODE(os.stat(tmp_path / "site.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "site.pem").st_mode) == 0o644
    pem = (tmp_path / "site.pem").read_text()
    assert pem == cert["certificate"]
    parsed = x509.load_pem_x509_certificate(pem.encode())
    assert sorted(parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                  .get_values_for_type(x509.DNSName)) == ["*.example.com", "example.com"]
    assert 5474 < crypto_local.days_left(parsed) <= 5475
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    assert crypto_local.public_der(key) == crypto_local.public_der(parsed)
    assert str(parsed.serial_number) == cert["id"]

    # The private key is nowhere: not in the result, not in anything sent, not in the emulator's state or log.
    key_body = "".join(key_pem.strip().splitlines()[1:-1])[:64]
    assert key_body not in json.dumps(result)
    assert key_body not in json.dumps(sent, default=str)
    assert key_body not in json.dumps(emulator.control("GET", "/state"))
    assert key_body not in json.dumps(emulator.requests())
    post = [s for s in sent if s["method"] == "POST"][0]
    assert sorted(post["body"]) == ["csr", "hostnames", "request_type", "requested_validity"]
    assert "PRIVATE" not in post["body"]["csr"]

    emulator.clear_requests()
    again = run_module("origin_ca_certificate", args(tmp_path, hostnames=["*.EXAMPLE.com", "example.com."]))
    assert again["changed"] is False, again
    assert again["certificate"]["id"] == cert["id"]
    log = emulator.requests()
    assert log["writes"] == 0
    assert log["by_route"] == {"GET /certificates/{certificate_id}": 1}
    assert key_text(tmp_path) == key_pem


def test_existing_cert_found_by_listing_when_file_missing(emulator, run_module, zone, tmp_path):
    first = run_module("origin_ca_certificate", args(tmp_path))
    os.unlink(tmp_path / "site.pem")
    emulator.clear_requests()
    again = run_module("origin_ca_certificate", args(tmp_path, zone=zone["id"]))
    assert again["changed"] is True  # the file is written again; nothing issued
    assert again["certificate"]["id"] == first["certificate"]["id"]
    assert emulator.requests()["by_route"] == {"GET /certificates": 1}
    assert (tmp_path / "site.pem").read_text() == first["certificate"]["certificate"]


def test_check_mode_writes_nothing(emulator, run_module, zone, tmp_path):
    result = run_module("origin_ca_certificate", args(tmp_path), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["certificate"]["id"] is None
    assert result["diff"]["after"]["hostnames"] == ["example.com", "*.example.com"]
    assert emulator.requests()["writes"] == 0
    assert not (tmp_path / "site.key").exists() and not (tmp_path / "site.pem").exists()


def test_new_hostnames_reuse_key_and_revoke_replaced(emulator, run_module, zone, tmp_path):
    first = run_module("origin_ca_certificate", args(tmp_path))
    key_pem = key_text(tmp_path)
    second = run_module("origin_ca_certificate", args(tmp_path, hostnames=["www.example.com"], revoke_replaced=True))
    assert second["changed"] is True
    assert second["certificate"]["id"] != first["certificate"]["id"]
    assert second["revoked"] == [first["certificate"]["id"]]
    assert key_text(tmp_path) == key_pem  # same key, new CSR
    stored = emulator.api("GET", "/certificates/" + first["certificate"]["id"])["result"]
    assert stored["revoked_at"]


def test_renews_within_renew_before_days(emulator, run_module, zone, tmp_path):
    first = run_module("origin_ca_certificate", args(tmp_path, requested_validity=30))
    assert run_module("origin_ca_certificate", args(tmp_path, renew_before_days=7))["changed"] is False
    emulator.clear_requests()
    renewed = run_module("origin_ca_certificate", args(tmp_path, renew_before_days=45))
    assert renewed["changed"] is True
    assert renewed["certificate"]["id"] != first["certificate"]["id"]
    assert renewed["certificate"]["requested_validity"] == 5475
    assert emulator.requests()["by_route"]["POST /certificates"] == 1
    assert renewed["revoked"] == []


def test_ecc_and_key_type_mismatch_refused_before_requests(emulator, run_module, zone, tmp_path):
    result = run_module("origin_ca_certificate", args(tmp_path, request_type="origin-ecc"))
    assert result["changed"] is True
    key = serialization.load_pem_private_key(key_text(tmp_path).encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    emulator.clear_requests()
    bad = run_module("origin_ca_certificate", args(tmp_path, request_type="origin-rsa"))
    assert bad["failed"] is True
    assert "private_key_path: the key in" in bad["msg"] and "is ECC" in bad["msg"]
    assert emulator.requests()["total"] == 0


@pytest.mark.parametrize("extra, message", [
    ({"hostnames": ["exa mple.com"]}, "hostnames: 'exa mple.com' is not a valid hostname"),
    ({"hostnames": ["*.com"]}, "hostnames: '*.com' is not a valid hostname"),
    ({"hostnames": ["a.*.example.com"]}, "is not a valid hostname"),
    ({"hostnames": []}, "hostnames: at least one hostname is required"),
    ({"private_key_mode": "rw"}, "private_key_mode: 'rw' is not an octal file mode"),
    ({"csr": "not a csr"}, "csr: not a PEM certificate signing request"),
    ({"private_key_path": None}, "private_key_path: required"),
])
def test_bad_input_refused_before_any_request(emulator, run_module, zone, tmp_path, extra, message):
    result = run_module("origin_ca_certificate", args(tmp_path, **extra))
    assert result["failed"] is True
    assert message in result["msg"]
    assert emulator.requests()["total"] == 0


def test_unreadable_key_file_is_refused_without_echoing_it(emulator, run_module, zone, tmp_path):
    (tmp_path / "site.key").write_text("-----BEGIN PRIVATE KEY-----\nsecretgarbage\n-----END PRIVATE KEY-----\n")
    result = run_module("origin_ca_certificate", args(tmp_path))
    assert result["failed"] is True
    assert "not a readable PEM private key" in result["msg"]
    assert "secretgarbage" not in json.dumps(result)
    assert emulator.requests()["total"] == 0


def test_given_csr_without_local_key(emulator, run_module, zone, tmp_path):
    key = crypto_local.generate_key("ecc")
    csr = crypto_local.make_csr(key, ["api.example.com"])
    opts = {"zone": "example.com", "hostnames": ["api.example.com"], "csr": csr, "request_type": "origin-ecc",
            "certificate_path": str(tmp_path / "api.pem")}
    result = run_module("origin_ca_certificate", opts)
    assert result["changed"] is True
    cert = x509.load_pem_x509_certificate((tmp_path / "api.pem").read_bytes())
    assert crypto_local.public_der(cert) == crypto_local.public_der(key)
    emulator.clear_requests()
    assert run_module("origin_ca_certificate", opts)["changed"] is False
    assert emulator.requests()["writes"] == 0
    other = crypto_local.make_csr(crypto_local.generate_key("ecc"), ["api.example.com"])
    mismatch = run_module("origin_ca_certificate", dict(opts, csr=other, private_key_path=None,
                                                        certificate_path=None))
    assert mismatch["changed"] is True  # another key: a new certificate


def test_csr_not_matching_key_is_refused(emulator, run_module, zone, tmp_path):
    run_module("origin_ca_certificate", args(tmp_path))
    other = crypto_local.make_csr(crypto_local.generate_key("rsa"), ["example.com"])
    emulator.clear_requests()
    result = run_module("origin_ca_certificate", args(tmp_path, csr=other))
    assert result["failed"] is True
    assert result["msg"].startswith("csr: it was not made from the key")
    assert emulator.requests()["total"] == 0


def test_modes_owner_group(emulator, run_module, zone, tmp_path):
    gid = os.getgid()
    result = run_module("origin_ca_certificate", args(tmp_path, private_key_mode="0640", certificate_mode="0600",
                                                      group=str(gid)))
    assert result["changed"] is True
    assert stat.S_IMODE(os.stat(tmp_path / "site.key").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / "site.pem").st_mode) == 0o600
    os.chmod(tmp_path / "site.key", 0o644)
    emulator.clear_requests()
    fixed = run_module("origin_ca_certificate", args(tmp_path, private_key_mode="0640", certificate_mode="0600"))
    assert fixed["changed"] is True
    assert stat.S_IMODE(os.stat(tmp_path / "site.key").st_mode) == 0o640
    assert emulator.requests()["writes"] == 0


def test_absent_revokes(emulator, run_module, zone, tmp_path):
    first = run_module("origin_ca_certificate", args(tmp_path))
    check = run_module("origin_ca_certificate", args(tmp_path, state="absent"), check_mode=True)
    assert check["changed"] is True and check["revoked"] == [first["certificate"]["id"]]
    assert emulator.api("GET", "/certificates?zone_id=" + zone["id"])["result"]
    gone = run_module("origin_ca_certificate", args(tmp_path, state="absent"), diff=True)
    assert gone["revoked"] == [first["certificate"]["id"]]
    assert gone["diff"]["before"]["id"] == first["certificate"]["id"] and gone["diff"]["after"] == {}
    assert emulator.api("GET", "/certificates?zone_id=" + zone["id"])["result"] == []
    emulator.clear_requests()
    assert run_module("origin_ca_certificate", args(tmp_path, state="absent"))["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_origin_ca_key_instead_of_token(emulator, run_module, zone, tmp_path):
    opts = args(tmp_path, zone=zone["id"], origin_ca_key=emulator.token, api_base_url=emulator.base_url)
    result = run_module("origin_ca_certificate", opts, credentials=False)
    assert result["changed"] is True, result
    assert emulator.requests()["by_route"] == {"GET /certificates": 1, "POST /certificates": 1}


def test_ambiguous_create_is_reconciled_without_duplicate(emulator, run_module, zone, tmp_path):
    emulator.faults([{"kind": "error_after", "method": "POST", "path": "/certificates$", "times": 1, "status": 502}])
    result = run_module("origin_ca_certificate", args(tmp_path))
    assert result["changed"] is True, result
    assert len(emulator.api("GET", "/certificates?zone_id=" + zone["id"])["result"]) == 1
    assert emulator.requests()["by_route"]["POST /certificates"] == 1


def test_missing_cryptography_fails_with_install_hint(emulator, run_module, zone, tmp_path, monkeypatch):
    monkeypatch.setattr(crypto_local, "HAS_CRYPTOGRAPHY", False)
    monkeypatch.setattr(crypto_local, "CRYPTOGRAPHY_IMPORT_ERROR", ImportError("No module named 'cryptography'"))
    result = run_module("origin_ca_certificate", args(tmp_path))
    assert result["failed"] is True
    assert "cryptography" in result["msg"] and "pip install 'cryptography>=3.3'" in result["msg"]
    assert emulator.requests()["total"] == 0


def test_certificate_revoked_elsewhere_is_replaced(emulator, run_module, zone, tmp_path):
    first = run_module("origin_ca_certificate", args(tmp_path))
    emulator.api("DELETE", "/certificates/" + first["certificate"]["id"])
    emulator.clear_requests()
    again = run_module("origin_ca_certificate", args(tmp_path))
    assert again["changed"] is True
    assert again["certificate"]["id"] != first["certificate"]["id"]
    assert emulator.requests()["by_route"] == {"GET /certificates/{certificate_id}": 1, "GET /zones": 1,
                                               "GET /certificates": 1, "POST /certificates": 1}
    assert (tmp_path / "site.pem").read_text() == again["certificate"]["certificate"]


def test_unreadable_certificate_file_is_replaced_with_a_warning(emulator, run_module, zone, tmp_path):
    first = run_module("origin_ca_certificate", args(tmp_path))
    (tmp_path / "site.pem").write_text("garbage")
    again = run_module("origin_ca_certificate", args(tmp_path))
    assert again["changed"] is True and again["certificate"]["id"] == first["certificate"]["id"]
    assert (tmp_path / "site.pem").read_text() == first["certificate"]["certificate"]


def test_check_mode_missing_directory_is_a_change_not_an_error(emulator, run_module, zone, tmp_path):
    # A fresh controller: the directory is made by a task before this one, which check mode does not run.
    new = tmp_path / "newpki"
    result = run_module("origin_ca_certificate", args(new), check_mode=True, diff=True)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["certificate"]["id"] is None
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["hostnames"] == ["example.com", "*.example.com"]
    assert emulator.requests()["writes"] == 0
    assert not new.exists()


def test_check_mode_missing_certificate_directory_with_existing_key(emulator, run_module, zone, tmp_path):
    first = run_module("origin_ca_certificate", args(tmp_path))
    emulator.clear_requests()
    elsewhere = str(tmp_path / "newpki" / "site.pem")
    result = run_module("origin_ca_certificate", args(tmp_path, certificate_path=elsewhere), check_mode=True, diff=True)
    assert not result.get("failed"), result
    assert result["changed"] is True  # the certificate file would be written; nothing issued
    assert result["certificate"]["id"] == first["certificate"]["id"]
    assert emulator.requests()["writes"] == 0
    assert not (tmp_path / "newpki").exists()


@pytest.mark.parametrize("field", ["private_key_path", "certificate_path"])
def test_missing_directory_still_refused_in_a_normal_run(emulator, run_module, zone, tmp_path, field):
    missing = tmp_path / "newpki"
    result = run_module("origin_ca_certificate", args(tmp_path, **{field: str(missing / "site.file")}))
    assert result["failed"] is True
    assert "%s: directory %s does not exist" % (field, missing) in result["msg"]
    assert emulator.requests()["total"] == 0
    assert not missing.exists()
