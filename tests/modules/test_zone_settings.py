"""zone_settings against the emulator: one bulk read, one bulk write of only what differs, validation first."""
from __future__ import annotations

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils.zone_settings_spec import (
    SETTINGS,
    SettingError,
    canonical,
)

HSTS = {"strict_transport_security": {"enabled": True, "max_age": 31536000, "include_subdomains": True}}


@pytest.fixture
def zone(emulator):
    return emulator.add_zone("example.com")


def _setting(emulator, zone, sid):
    item = emulator.api("GET", "/zones/%s/settings/%s" % (zone["id"], sid))["result"]
    return item.get("value", item.get("enabled"))


def test_many_settings_one_read_one_write_then_unchanged(emulator, run_module, zone):
    settings = {"ssl": "strict", "always_use_https": True, "min_tls_version": 1.2, "tls_1_3": "zrt",
                "automatic_https_rewrites": "on", "security_header": HSTS, "security_level": "high",
                "browser_check": "on", "cache_level": "basic", "browser_cache_ttl": 7200, "brotli": "on",
                "http3": "on", "early_hints": True, "opportunistic_encryption": "on", "ipv6": "on",
                "websockets": "on"}
    result = run_module("zone_settings", {"zone": "example.com", "settings": settings}, diff=True)
    assert result["changed"] is True
    # brotli, http3, ipv6, websockets, automatic_https_rewrites, opportunistic_encryption, browser_check are
    # already "on" by default: not written.
    assert result["changed_settings"] == ["always_use_https", "browser_cache_ttl", "cache_level", "early_hints",
                                          "min_tls_version", "security_header", "security_level", "ssl",
                                          "tls_1_3"]
    assert result["settings"]["ssl"] == "strict"
    assert result["settings"]["min_tls_version"] == "1.2"
    assert result["settings"]["security_header"]["strict_transport_security"] == {
        "enabled": True, "max_age": 31536000, "include_subdomains": True, "preload": False, "nosniff": False}
    assert result["diff"]["before"]["ssl"] == "flexible"
    assert result["diff"]["after"]["always_use_https"] == "on"
    log = emulator.requests()
    assert log["by_route"] == {"GET /zones": 1, "GET /zones/{zone_id}/settings": 1,
                               "PATCH /zones/{zone_id}/settings": 1}
    patch = [r for r in log["requests"] if r["method"] == "PATCH"]
    assert len(patch) == 1
    assert _setting(emulator, zone, "ssl") == "strict"
    assert _setting(emulator, zone, "min_tls_version") == "1.2"
    assert _setting(emulator, zone, "early_hints") == "on"

    emulator.clear_requests()
    again = run_module("zone_settings", {"zone": "example.com", "settings": settings})
    assert again["changed"] is False
    assert again["changed_settings"] == []
    log = emulator.requests()
    assert log["writes"] == 0
    assert log["total"] == 2


def test_hsts_compared_by_meaning_unset_sub_keys_kept(emulator, run_module, zone):
    emulator.api("PATCH", "/zones/%s/settings/security_header" % zone["id"],
                 {"value": {"strict_transport_security": {"enabled": True, "max_age": 86400, "preload": True,
                                                          "nosniff": True, "include_subdomains": True}}})
    emulator.clear_requests()
    # max_age as a float means the same number; the other sub-keys are not given, so not compared.
    same = run_module("zone_settings", {"zone": zone["id"], "settings": {
        "security_header": {"strict_transport_security": {"enabled": True, "max_age": 86400.0}}}})
    assert same["changed"] is False
    assert emulator.requests()["writes"] == 0
    changed = run_module("zone_settings", {"zone": zone["id"], "settings": {
        "security_header": {"strict_transport_security": {"max_age": 31536000}}}})
    assert changed["changed"] is True
    stored = _setting(emulator, zone, "security_header")["strict_transport_security"]
    assert stored == {"enabled": True, "max_age": 31536000, "preload": True, "nosniff": True,
                      "include_subdomains": True}


def test_nel_and_numbers_by_meaning(emulator, run_module, zone):
    args = {"zone": "example.com", "settings": {"nel": {"enabled": True}, "proxy_read_timeout": 100,
                                                "challenge_ttl": "1800", "origin_max_http_version": 2,
                                                "ciphers": ["ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA"]}}
    first = run_module("zone_settings", args)
    assert first["changed_settings"] == ["ciphers", "nel"]  # proxy_read_timeout 100, challenge_ttl 1800, "2": defaults
    emulator.clear_requests()
    args["settings"]["ciphers"] = ["AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]
    args["settings"]["proxy_read_timeout"] = 100.0
    assert run_module("zone_settings", args)["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_bad_values_refused_before_any_request(emulator, run_module, zone):
    result = run_module("zone_settings", {"zone": "example.com", "settings": {
        "ssl": "strictest", "always_use_https": "yes please", "browser_cache_ttl": 1234, "min_tls_version": "1.4",
        "security_header": {"strict_transport_security": {"max_age": 99999999}}, "no_such_setting": "on"}})
    assert result["failed"] is True
    assert "settings.ssl: 'strictest' is not one of off, flexible, full, strict" in result["msg"]
    assert "settings.always_use_https: 'yes please' is not one of on, off" in result["msg"]
    assert "settings.browser_cache_ttl: 1234 is not one of 0, 30" in result["msg"]
    assert "settings.min_tls_version: '1.4'" in result["msg"]
    assert "settings.security_header.strict_transport_security.max_age: 99999999 is not between 0 and 31536000" \
        in result["msg"]
    assert "'no_such_setting' is not a zone setting" in result["msg"]
    assert emulator.requests()["total"] == 0


def test_unknown_sub_key_refused(emulator, run_module, zone):
    result = run_module("zone_settings", {"zone": "example.com", "settings": {
        "security_header": {"strict_transport_security": {"enabled": True, "maxage": 10}}}})
    assert result["failed"] is True
    assert "settings.security_header.strict_transport_security: unknown key(s) maxage" in result["msg"]
    assert emulator.requests()["total"] == 0


def test_check_mode_reads_but_does_not_write(emulator, run_module, zone):
    result = run_module("zone_settings", {"zone": "example.com", "settings": {"ssl": "full", "waf": "on"}},
                        check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["changed_settings"] == ["ssl", "waf"]
    assert result["diff"] == {"before": {"ssl": "flexible", "waf": "off"}, "after": {"ssl": "full", "waf": "on"}}
    assert emulator.requests()["writes"] == 0
    assert _setting(emulator, zone, "ssl") == "flexible"


def test_ssl_recommender_read_and_written_on_its_own_endpoint(emulator, run_module, zone):
    result = run_module("zone_settings", {"zone": "example.com", "settings": {"ssl_recommender": True,
                                                                              "ssl": "full"}})
    assert result["changed_settings"] == ["ssl", "ssl_recommender"]
    assert result["settings"] == {"ssl": "full", "ssl_recommender": True}
    log = emulator.requests()["by_route"]
    assert log["GET /zones/{zone_id}/settings/{setting_id}"] == 1  # not in the aggregate listing
    assert log["PATCH /zones/{zone_id}/settings/{setting_id}"] == 1
    assert log["PATCH /zones/{zone_id}/settings"] == 1
    assert _setting(emulator, zone, "ssl_recommender") is True
    emulator.clear_requests()
    assert run_module("zone_settings", {"zone": "example.com", "settings": {"ssl_recommender": True}})["changed"] \
        is False
    assert emulator.requests()["writes"] == 0


def test_falls_back_to_per_setting_endpoints_when_aggregate_is_gone(emulator, run_module, zone):
    emulator.faults([{"kind": "error_before", "path": "/settings$", "status": 404}])
    result = run_module("zone_settings", {"zone": "example.com", "settings": {"ssl": "full", "http3": "off",
                                                                              "ipv6": "on"}})
    assert result["changed_settings"] == ["http3", "ssl"]
    log = emulator.requests()["by_route"]
    assert log["GET /zones/{zone_id}/settings/{setting_id}"] == 3
    assert log["PATCH /zones/{zone_id}/settings/{setting_id}"] == 2
    emulator.faults([])
    assert _setting(emulator, zone, "http3") == "off"
    assert _setting(emulator, zone, "ssl") == "full"


def test_not_editable_setting_refused_before_any_write(emulator, run_module, zone):
    emulator.state.data["zones"][zone["id"]]["settings"]["waf"] = "off"
    original = emulator.api("GET", "/zones/%s/settings" % zone["id"])["result"]
    assert any(i["id"] == "waf" for i in original)
    from cfemu import zones as emulated

    real = emulated._setting_view

    def locked(z, sid):
        view = real(z, sid)
        if sid == "waf":
            view["editable"] = False
        return view

    emulated._setting_view = locked
    try:
        emulator.clear_requests()
        result = run_module("zone_settings", {"zone": "example.com", "settings": {"waf": "on", "ssl": "full"}})
        unchanged = run_module("zone_settings", {"zone": "example.com", "settings": {"waf": "off"}})
    finally:
        emulated._setting_view = real
    assert result["failed"] is True
    assert "waf cannot be changed on this zone" in result["msg"]
    assert unchanged["changed"] is False
    assert emulator.requests()["writes"] == 0


def test_api_rejection_names_the_settings(emulator, run_module, zone):
    emulator.faults([{"kind": "error_before", "method": "PATCH", "status": 400}])
    result = run_module("zone_settings", {"zone": "example.com", "settings": {"ssl": "full"}})
    assert result["failed"] is True
    assert result["msg"].startswith("zone settings ssl: PATCH /zones/")


def test_missing_zone(emulator, run_module):
    result = run_module("zone_settings", {"zone": "nowhere.example", "settings": {"ssl": "full"}})
    assert result["failed"] is True
    assert "zone nowhere.example not found" in result["msg"]


# --- the spec table ------------------------------------------------------------------------------------------


def test_spec_covers_every_sdk_setting_variant():
    import typing

    from cloudflare.types.zones import setting_get_response as sgr

    ids = set()
    for name in sgr.__all__:
        model = getattr(sgr, name, None)
        field = getattr(model, "model_fields", {}).get("id")
        if field is None:
            continue
        for arg in typing.get_args(field.annotation) or ():
            ids.update(a for a in typing.get_args(arg) or (arg,) if isinstance(a, str))
    assert ids, "no setting ids found in the SDK"
    assert ids - set(SETTINGS) == set()


def test_spec_enums_match_the_sdk():
    import typing

    from cloudflare.types.zones import setting_get_response as sgr

    for name in sgr.__all__:
        model = getattr(sgr, name, None)
        fields = getattr(model, "model_fields", {})
        if "id" not in fields or "value" not in fields:
            continue
        sid = typing.get_args(fields["id"].annotation)[0]
        spec = SETTINGS[sid]
        annotation = fields["value"].annotation
        literal = [a for a in (typing.get_args(annotation) or ()) if isinstance(a, (str, int))]
        if typing.get_origin(annotation) is typing.Literal:
            literal = list(typing.get_args(annotation))
        if spec["kind"] in ("enum", "int_enum") and literal:
            assert sorted(map(str, spec["values"])) == sorted(map(str, literal)), sid


@pytest.mark.parametrize("sid,given,wire", [
    ("always_use_https", True, "on"), ("always_use_https", False, "off"), ("ssl", "Strict", "strict"),
    ("min_tls_version", 1.2, "1.2"), ("min_tls_version", 1.0, "1.0"), ("min_tls_version", "1.3", "1.3"),
    ("origin_max_http_version", 2, "2"), ("challenge_ttl", "1800", 1800), ("browser_cache_ttl", 0, 0),
    ("proxy_read_timeout", "250", 250.0), ("ssl_recommender", "yes", True), ("max_upload", 500.0, 500),
])
def test_canonical_values(sid, given, wire):
    assert canonical(sid, given) == wire


@pytest.mark.parametrize("sid,given", [
    ("ssl", True), ("tls_1_3", "zero"), ("challenge_ttl", 301), ("proxy_read_timeout", 0),
    ("proxy_read_timeout", 7000), ("origin_h2_max_streams", 0), ("ciphers", "AES128-SHA"), ("nel", True),
    ("browser_cache_ttl", True), ("webmcp_packs", 3), ("ssl", None),
])
def test_canonical_refuses(sid, given):
    with pytest.raises(SettingError) as info:
        canonical(sid, given)
    assert ("settings.%s" % sid) in str(info.value)
