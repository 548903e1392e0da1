"""Shared helpers of the DNS module tests (dns_record, dns_records, dns_record_info) and tests/reliability."""
from __future__ import annotations

from ansible_collections.websoft9.cloudflare.plugins.module_utils import client as client_mod
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import (
    identity, normalise_record, record_from_api,
)

BATCH = "POST /zones/{zone_id}/dns_records/batch"
LIST = "GET /zones/{zone_id}/dns_records"


def stored(emulator, zone_id):
    """The zone's records as the emulator holds them (this read is logged: take counts before calling)."""
    body = emulator.api("GET", "/zones/%s/dns_records?per_page=5000000" % zone_id)
    assert body["success"], body
    return body["result"]


def canonical(emulator, zone):
    return [record_from_api(r, zone["name"]) for r in stored(emulator, zone["id"])]


def meaning(records):
    """A comparable view of canonical records: identity plus the attributes that matter."""
    return sorted((identity(r), r.get("ttl"), bool(r.get("proxied")), r.get("priority"),
                   tuple(sorted((r.get("data") or {}).items()))) for r in records)


def desired_meaning(records, zone_name):
    out = []
    for rec in records:
        canon = normalise_record(rec, zone_name)
        canon["ttl"] = canon["ttl"] if canon["ttl"] is not None else 1
        canon["proxied"] = bool(canon["proxied"])
        out.append(canon)
    return meaning(out)


def writes(log):
    return log["writes"]


def batches(log):
    return log["by_route"].get(BATCH, 0)


def capture_requests(monkeypatch):
    """Every request the modules send through the client: (method, path, query, body); for a `sent` fixture."""
    calls = []
    original = client_mod.CloudflareClient.request

    def record(self, method, path, body=None, query=None, what=None, retry=True, **kwargs):
        calls.append((method, path, dict(query or {}), body))
        return original(self, method, path, body=body, query=query, what=what, retry=retry, **kwargs)

    monkeypatch.setattr(client_mod.CloudflareClient, "request", record)
    return calls
