"""Cloudflare Tunnels in the emulator, through the official SDK's models (zero_trust.tunnels.cloudflared)."""
from __future__ import annotations

import base64
import json

import cloudflare
import pytest


@pytest.fixture
def sdk(emulator):
    return cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0)


@pytest.fixture
def cfd(sdk):
    return sdk.zero_trust.tunnels.cloudflared


SECRET = base64.b64encode(b"k" * 32).decode()


def test_tunnel_lifecycle(emulator, cfd):
    acc = emulator.account_id
    t = cfd.create(account_id=acc, name="web1", config_src="cloudflare", tunnel_secret=SECRET)
    assert t.name == "web1" and t.config_src == "cloudflare" and t.remote_config is True
    assert t.status == "inactive" and t.tun_type == "cfd_tunnel" and t.deleted_at is None
    assert t.account_tag == acc and t.created_at is not None and t.connections == []
    assert len(t.id) == 36  # a UUID
    raw = cfd.get(t.id, account_id=acc).model_dump()
    assert "secret" not in json.dumps(raw, default=str).lower().replace("tunnel_secret", "")

    token = cfd.token.get(t.id, account_id=acc)
    assert isinstance(token, str)
    assert json.loads(base64.b64decode(token)) == {"a": acc, "t": t.id, "s": SECRET}

    renamed = cfd.edit(t.id, account_id=acc, name="web2")
    assert renamed.name == "web2"
    assert list(cfd.connections.get(t.id, account_id=acc)) == []

    deleted = cfd.delete(t.id, account_id=acc)
    assert deleted.deleted_at is not None
    assert cfd.get(t.id, account_id=acc).deleted_at is not None  # kept, marked deleted
    assert [x.id for x in cfd.list(account_id=acc, is_deleted=True)] == [t.id]
    assert list(cfd.list(account_id=acc, is_deleted=False)) == []
    assert len(list(cfd.list(account_id=acc))) == 1
    with pytest.raises(cloudflare.NotFoundError):
        cfd.delete(t.id, account_id=acc)


def test_tunnel_create_rules(emulator, cfd):
    acc = emulator.account_id
    t = cfd.create(account_id=acc, name="local1")
    assert t.config_src == "local" and t.remote_config is False
    token = json.loads(base64.b64decode(cfd.token.get(t.id, account_id=acc)))
    assert len(base64.b64decode(token["s"])) >= 32  # generated
    with pytest.raises(cloudflare.ConflictError):
        cfd.create(account_id=acc, name="local1")
    with pytest.raises(cloudflare.BadRequestError):
        cfd.create(account_id=acc, name="short", tunnel_secret=base64.b64encode(b"x" * 8).decode())
    with pytest.raises(cloudflare.BadRequestError):
        cfd.create(account_id=acc, name="bad", config_src="remote")
    with pytest.raises(cloudflare.PermissionDeniedError):
        cfd.create(account_id="0" * 32, name="other")
    cfd.delete(t.id, account_id=acc)
    assert cfd.create(account_id=acc, name="local1").id != t.id  # the name is free again


def test_tunnel_list_filters_and_paging(emulator, sdk, cfd):
    acc = emulator.account_id
    for i in range(12):
        cfd.create(account_id=acc, name="vpc1-%02d" % i if i % 2 else "edge-%02d" % i)
    assert len(list(cfd.list(account_id=acc, per_page=5))) == 12
    page = sdk.get("/accounts/%s/cfd_tunnel" % acc, cast_to=object, options={"params": {"per_page": 5, "page": 3}})
    assert page["result_info"] == {"page": 3, "per_page": 5, "count": 2, "total_count": 12, "total_pages": 3}
    assert [t.name for t in cfd.list(account_id=acc, name="edge-04")] == ["edge-04"]
    assert len(list(cfd.list(account_id=acc, include_prefix="vpc1-"))) == 6
    assert len(list(cfd.list(account_id=acc, exclude_prefix="vpc1-"))) == 6
    assert len(list(cfd.list(account_id=acc, status="inactive"))) == 12


def test_configuration_roundtrip_camel_case(emulator, cfd):
    acc = emulator.account_id
    t = cfd.create(account_id=acc, name="web1", config_src="cloudflare")
    empty = cfd.configurations.get(t.id, account_id=acc)
    assert empty.version == 0 and empty.config is None
    config = {"ingress": [{"hostname": "app.example.com", "service": "http://localhost:8080",
                           "origin_request": {"no_tls_verify": True, "connect_timeout": 10,
                                              "access": {"aud_tag": ["a"], "team_name": "t", "required": True}}},
                          {"hostname": "", "service": "http_status:404"}],
              "origin_request": {"http_host_header": "x.internal"}}
    updated = cfd.configurations.update(t.id, account_id=acc, config=config)
    assert updated.version == 1 and updated.tunnel_id == t.id and updated.source == "cloudflare"
    assert updated.config.ingress[0].origin_request.no_tls_verify is True
    assert updated.config.origin_request.http_host_header == "x.internal"
    assert cfd.configurations.update(t.id, account_id=acc, config=config).version == 2
    raw = emulator.api("GET", "/accounts/%s/cfd_tunnel/%s/configurations" % (acc, t.id))["result"]
    assert raw["config"]["ingress"][0]["originRequest"] == {"noTLSVerify": True, "connectTimeout": 10,
                                                            "access": {"audTag": ["a"], "teamName": "t",
                                                                       "required": True}}


@pytest.mark.parametrize("config, fragment", [
    ({"ingress": [{"hostname": "a.example.com", "service": "http://x"}]}, "last ingress rule must match all"),
    ({"ingress": [{"service": "ftp://x"}]}, "invalid service"),
    ({"ingress": [{"service": "http_status:404", "originRequest": {"no_tls_verify": True}}]},
     "unknown originRequest field no_tls_verify"),
    ({"ingress": [{"service": "http_status:404", "originRequest": {"connectTimeout": "10s"}}]}, "must be a int"),
    ({"ingress": []}, "non-empty"),
])
def test_configuration_validation(emulator, sdk, config, fragment):
    acc = emulator.account_id
    tid = emulator.api("POST", "/accounts/%s/cfd_tunnel" % acc, {"name": "v", "config_src": "cloudflare"})["result"]["id"]
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.put("/accounts/%s/cfd_tunnel/%s/configurations" % (acc, tid), body={"config": config}, cast_to=object)
    assert fragment in caught.value.body["errors"][0]["message"]


def test_connections_block_delete_until_cleaned(emulator, cfd):
    acc = emulator.account_id
    t = cfd.create(account_id=acc, name="busy")
    emulator.control("POST", "/tunnels/%s/connect" % t.id)
    got = cfd.get(t.id, account_id=acc)
    assert got.status == "healthy" and len(got.connections) == 1
    clients = list(cfd.connections.get(t.id, account_id=acc))
    assert len(clients) == 1 and clients[0].id == got.connections[0].client_id
    assert clients[0].conns[0].colo_name == "fra01"
    with pytest.raises(cloudflare.BadRequestError):
        cfd.delete(t.id, account_id=acc)
    cfd.connections.delete(t.id, account_id=acc)
    assert cfd.get(t.id, account_id=acc).status == "down"
    assert cfd.delete(t.id, account_id=acc).deleted_at is not None
