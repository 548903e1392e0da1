"""websoft9.cloudflare.ips: the live /ips answer, the terms, and the bundled fallback with its warning."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def lookup():
    """The plugin as Ansible loads it: its options registered from its DOCUMENTATION (not through the plugin
    loader, which cannot install its collection finder once ``ansible_collections`` is imported from sys.path).

    Importing controller code (ansible.plugins, ansible.errors, ...) flips ``module_utils._internal.is_controller``
    for the whole process, after which module warnings go to the display instead of the module result; the
    flag is put back afterwards so that tests of modules that run later are not affected."""
    import yaml

    from ansible.module_utils import _internal

    was_controller = _internal.is_controller
    from ansible import constants as C
    from ansible_collections.websoft9.cloudflare.plugins.lookup import ips

    name = "websoft9.cloudflare.ips"
    C.config.initialize_plugin_configuration_definitions("lookup", name,
                                                         yaml.safe_load(ips.DOCUMENTATION)["options"])
    plugin = ips.LookupModule()
    plugin._load_name = name
    yield plugin
    _internal.is_controller = was_controller


@pytest.fixture
def ansible_error():
    from ansible.errors import AnsibleError as error

    return error


@pytest.fixture
def warnings(monkeypatch):
    from ansible_collections.websoft9.cloudflare.plugins.lookup import ips

    seen = []

    class Recorder:
        def warning(self, msg, *args, **kwargs):
            seen.append(msg)

    # Replace the module's reference, not an attribute of Display (a singleton other tests patch too).
    monkeypatch.setattr(ips, "display", Recorder())
    return seen


def test_dict_from_the_api_without_credentials(lookup, emulator, warnings):
    emulator.state.data["ips"] = {"ipv4_cidrs": ["198.51.100.0/24"], "ipv6_cidrs": ["2001:db8::/32"]}
    result = lookup.run([], variables={}, api_base_url=emulator.base_url)
    assert len(result) == 1
    assert result[0]["ipv4_cidrs"] == ["198.51.100.0/24"]
    assert result[0]["ipv6_cidrs"] == ["2001:db8::/32"]
    assert result[0]["source"] == "api" and result[0]["etag"]
    assert warnings == []
    log = emulator.requests()
    assert log["by_route"] == {"GET /ips": 1}


def test_terms(lookup, emulator, warnings, ansible_error):
    emulator.state.data["ips"] = {"ipv4_cidrs": ["198.51.100.0/24", "203.0.113.0/24"],
                                  "ipv6_cidrs": ["2001:db8::/32"]}
    url = emulator.base_url
    assert lookup.run(["ipv4"], variables={}, api_base_url=url) == ["198.51.100.0/24", "203.0.113.0/24"]
    assert lookup.run(["IPv6"], variables={}, api_base_url=emulator.base_url) == ["2001:db8::/32"]
    assert lookup.run(["all"], variables={}, api_base_url=url) == ["198.51.100.0/24", "203.0.113.0/24",
                                                                   "2001:db8::/32"]
    with pytest.raises(ansible_error, match="unknown term"):
        lookup.run(["ipv5"], variables={}, api_base_url=emulator.base_url)


def test_base_url_from_environment(lookup, emulator, warnings, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    result = lookup.run([], variables={})
    assert result[0]["source"] == "api"
    assert emulator.requests()["by_route"] == {"GET /ips": 1}


def test_fallback_on_server_error_warns_with_the_reason(lookup, emulator, warnings):
    from ansible_collections.websoft9.cloudflare.plugins.module_utils.cloudflare_ips import IPV4_CIDRS, IPV6_CIDRS

    emulator.faults([{"kind": "error_before", "path": "/ips$", "status": 503}])
    result = lookup.run([], variables={}, api_base_url=emulator.base_url)
    assert result[0]["source"] == "bundled"
    assert result[0]["ipv4_cidrs"] == list(IPV4_CIDRS) and result[0]["ipv6_cidrs"] == list(IPV6_CIDRS)
    assert len(warnings) == 1
    assert "using the bundled list" in warnings[0]
    assert "HTTP 503" in warnings[0]


def test_fallback_when_unreachable(lookup, warnings):
    result = lookup.run(["ipv6"], variables={}, api_base_url="http://127.0.0.1:9/client/v4", timeout=2)
    assert "2606:4700::/32" in result
    assert len(warnings) == 1 and "failed" in warnings[0]


def test_fallback_on_unusable_answer(lookup, emulator, warnings):
    emulator.state.data["ips"] = {"ipv4_cidrs": ["2001:db8::/32"], "ipv6_cidrs": ["2001:db8::/32"]}
    result = lookup.run([], variables={}, api_base_url=emulator.base_url)
    assert result[0]["source"] == "bundled"
    assert "not IPv4" in warnings[0]


def test_fallback_disabled_is_an_error(lookup, emulator, warnings, ansible_error):
    emulator.faults([{"kind": "error_before", "path": "/ips$", "status": 500}])
    with pytest.raises(ansible_error, match=r"HTTP 500 \(fallback is disabled\)"):
        lookup.run([], variables={}, api_base_url=emulator.base_url, fallback=False)
    assert warnings == []


def test_bundled_list_is_valid():
    import ipaddress

    from ansible_collections.websoft9.cloudflare.plugins.module_utils.cloudflare_ips import IPV4_CIDRS, IPV6_CIDRS

    assert all(ipaddress.ip_network(c).version == 4 for c in IPV4_CIDRS)
    assert all(ipaddress.ip_network(c).version == 6 for c in IPV6_CIDRS)
    assert len(set(IPV4_CIDRS)) == len(IPV4_CIDRS) and len(set(IPV6_CIDRS)) == len(IPV6_CIDRS)
