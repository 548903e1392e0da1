"""Zones and zone settings in the emulator, through the official SDK's models."""
from __future__ import annotations

import cloudflare
import pytest


@pytest.fixture
def sdk(emulator):
    return cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)


def test_zone_lifecycle_parses_into_sdk_models(emulator, sdk):
    zone = sdk.zones.create(account={"id": emulator.account_id}, name="Example.COM", type="full")
    assert zone.name == "example.com"
    assert zone.status == "pending"
    assert zone.account.id == emulator.account_id
    assert zone.plan.name == "Free Website"
    assert zone.name_servers == ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]
    assert zone.created_on is not None
    edited = sdk.zones.edit(zone_id=zone.id, paused=True)
    assert edited.paused is True
    assert sdk.zones.get(zone_id=zone.id).paused is True
    assert sdk.zones.delete(zone_id=zone.id).id == zone.id
    with pytest.raises(cloudflare.NotFoundError):
        sdk.zones.get(zone_id=zone.id)


def test_zone_validation(emulator, sdk):
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.zones.create(account={"id": emulator.account_id}, name="-bad-.example")
    assert caught.value.body["errors"][0]["code"] == 1097
    sdk.zones.create(account={"id": emulator.account_id}, name="dup.example")
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.zones.create(account={"id": emulator.account_id}, name="DUP.example")
    assert caught.value.body["errors"][0]["code"] == 1061
    with pytest.raises(cloudflare.PermissionDeniedError):
        sdk.zones.create(account={"id": "0" * 32}, name="other.example")


def test_zone_list_filters(emulator, sdk):
    for name in ("a.example", "b.example", "c.test"):
        sdk.zones.create(account={"id": emulator.account_id}, name=name)
    sdk.zones.create(account={"id": emulator.account_id}, name="p.example", type="partial")
    assert [z.name for z in sdk.zones.list(name="b.example")] == ["b.example"]
    assert [z.name for z in sdk.zones.list(name="ends_with:.test")] == ["c.test"]
    assert [z.name for z in sdk.zones.list(type=["partial"])] == ["p.example"]
    assert len(list(sdk.zones.list(account={"id": emulator.account_id}))) == 4
    assert [z.name for z in sdk.zones.list(direction="desc")][0] == "p.example"


def test_partial_zone_has_verification_key(emulator, sdk):
    zone = sdk.zones.create(account={"id": emulator.account_id}, name="cname.example", type="partial")
    assert zone.type == "partial"
    assert zone.verification_key


def test_settings_defaults_and_edits(emulator, sdk):
    zone = sdk.zones.create(account={"id": emulator.account_id}, name="settings.example")
    assert sdk.zones.settings.get("ssl", zone_id=zone.id).value == "flexible"
    assert sdk.zones.settings.get("min_tls_version", zone_id=zone.id).value == "1.0"
    edited = sdk.zones.settings.edit("min_tls_version", zone_id=zone.id, value="1.2")
    assert edited.value == "1.2"
    assert edited.modified_on is not None
    hsts = sdk.zones.settings.edit("security_header", zone_id=zone.id,
                                   value={"strict_transport_security": {"enabled": True, "max_age": 31536000}})
    assert hsts.value.strict_transport_security.enabled is True
    assert hsts.value.strict_transport_security.include_subdomains is False
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.zones.settings.edit("ssl", zone_id=zone.id, value="very-strict")
    assert caught.value.body["errors"][0]["message"] == "Invalid value for zone setting ssl"
    with pytest.raises(cloudflare.NotFoundError):
        sdk.zones.settings.get("no_such_setting", zone_id=zone.id)


def test_deleting_a_zone_drops_its_data(emulator, sdk):
    zone = sdk.zones.create(account={"id": emulator.account_id}, name="drop.example")
    emulator.state.data.setdefault("zone:test", {})[zone.id] = {"x": 1}
    sdk.zones.delete(zone_id=zone.id)
    assert zone.id not in emulator.state.data["zone:test"]
