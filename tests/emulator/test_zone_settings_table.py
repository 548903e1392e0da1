"""The emulator's zone settings table against the SDK's models (every setting id, parsed by the official SDK)."""
from __future__ import annotations

import cloudflare


def _client(emulator):
    return cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)


def test_every_sdk_setting_is_served_and_parsed(emulator):
    from cfemu.zones import SETTINGS
    from ansible_collections.websoft9.cloudflare.plugins.module_utils.zone_settings_spec import SETTINGS as SPEC

    assert set(SETTINGS) == set(SPEC)
    zone = emulator.add_zone("settings.example")
    client = _client(emulator)
    for sid in sorted(SETTINGS):
        got = client.zones.settings.get(sid, zone_id=zone["id"])
        assert got is not None and got.id == sid, sid


def test_bulk_listing_and_bulk_edit(emulator):
    zone = emulator.add_zone("bulk.example")
    listed = emulator.api("GET", "/zones/%s/settings" % zone["id"])["result"]
    ids = [item["id"] for item in listed]
    assert "ssl" in ids and "ssl_recommender" not in ids
    assert {item["id"]: item["value"] for item in listed}["origin_max_http_version"] == "2"
    edited = emulator.api("PATCH", "/zones/%s/settings" % zone["id"],
                          {"items": [{"id": "ssl", "value": "full"}, {"id": "http3", "value": "off"}]})
    assert [(i["id"], i["value"]) for i in edited["result"]] == [("ssl", "full"), ("http3", "off")]
    bad = emulator.api("PATCH", "/zones/%s/settings" % zone["id"],
                       {"items": [{"id": "ssl", "value": "strict"}, {"id": "http3", "value": "maybe"}]})
    assert bad["success"] is False
    # all or nothing: ssl was not changed by the rejected batch
    assert emulator.api("GET", "/zones/%s/settings/ssl" % zone["id"])["result"]["value"] == "full"


def test_ssl_recommender_shape(emulator):
    zone = emulator.add_zone("rec.example")
    client = _client(emulator)
    client.zones.settings.edit("ssl_recommender", zone_id=zone["id"], enabled=True)
    assert emulator.api("GET", "/zones/%s/settings/ssl_recommender" % zone["id"])["result"] == {
        "id": "ssl_recommender", "enabled": True}
