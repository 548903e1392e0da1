"""tunnel_config: ingress validation, snake_case <-> camelCase, comparison by meaning, tokens."""
from __future__ import annotations

import base64
import json
import typing

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils import tunnel_config as tc


def test_every_origin_request_option_maps_to_the_sdk_alias():
    from cloudflare.types.zero_trust.tunnels.cloudflared import configuration_update_params as params
    hints = typing.get_type_hints(params.ConfigIngressOriginRequest, include_extras=True)
    for name, (wire, kind) in tc.ORIGIN_REQUEST.items():
        sdk_name = "match_sn_ito_host" if name == "match_sni_to_host" else name
        assert sdk_name in hints, name
        alias = getattr(hints[sdk_name], "__metadata__", None)
        assert (alias[0].alias if alias else sdk_name) == wire, name
    assert len(tc.ORIGIN_REQUEST) == len(hints)
    access = typing.get_type_hints(params.ConfigIngressOriginRequestAccess, include_extras=True)
    for name, (wire, kind) in tc.ACCESS.items():
        alias = getattr(access[name], "__metadata__", None)
        if alias is None and hasattr(access[name], "__args__"):  # Required[Annotated[...]]
            alias = getattr(access[name].__args__[0], "__metadata__", None)
        assert (alias[0].alias if alias else name) == wire, name


def test_round_trip_and_types():
    rules = [{"hostname": "A.Example.com.", "service": "http://localhost:80",
              "origin_request": {"connect_timeout": "30s", "no_tls_verify": "yes", "noHappyEyeballs": True,
                                 "access": {"aud_tag": "tag", "team_name": "t"}}},
             {"service": "http_status:404"}]
    wire = tc.ingress_wire(rules)
    assert wire[0] == {"hostname": "a.example.com", "service": "http://localhost:80",
                       "originRequest": {"connectTimeout": 30, "noTLSVerify": True, "noHappyEyeballs": True,
                                         "access": {"audTag": ["tag"], "teamName": "t"}}}
    assert tc.ingress_option(wire)[0]["origin_request"] == {
        "connect_timeout": 30, "no_tls_verify": True, "no_happy_eyeballs": True,
        "access": {"aud_tag": ["tag"], "team_name": "t"}}
    assert tc.hostnames(wire) == ["a.example.com"]


@pytest.mark.parametrize("service", ["http://x", "https://10.0.0.1:8443", "tcp://db:5432", "ssh://localhost:22",
                                     "rdp://host:3389", "smb://files", "unix:/run/app.sock", "unix+tls:/run/a.sock",
                                     "unix:///run/app.sock", "http_status:404", "hello_world"])
def test_services_accepted(service):
    assert tc.check_service(service, "s") == service


@pytest.mark.parametrize("service", ["ftp://x", "localhost:80", "http_status:4040", "http_status:099", "", None])
def test_services_refused(service):
    with pytest.raises(tc.ConfigError):
        tc.check_service(service, "s")


def test_canonical_ignores_empty_values_and_hostname_case():
    assert tc.canonical({"ingress": [{"hostname": "A.example.com", "service": "x", "originRequest": {}}]}) == \
        tc.canonical({"ingress": [{"hostname": "a.example.com", "service": "x", "path": ""}]})
    assert tc.canonical({"ingress": [{"service": "x", "path": "/a"}]}) != tc.canonical({"ingress": [{"service": "x"}]})


def test_secret_and_token():
    secret = base64.b64encode(b"x" * 32).decode()
    assert tc.check_secret(secret) == secret
    with pytest.raises(tc.ConfigError):
        tc.check_secret(base64.b64encode(b"x" * 31).decode())
    token = base64.b64encode(json.dumps({"a": "acc", "t": "tid", "s": secret}).encode()).decode().rstrip("=")
    assert tc.secret_of_token(token) == secret
    assert tc.secret_of_token("not a token") is None
