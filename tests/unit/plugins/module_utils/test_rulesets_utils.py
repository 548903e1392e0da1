"""rulesets.py: comparison by meaning of rules (pure)."""
from __future__ import annotations

import pytest

from ansible_collections.websoft9.cloudflare.plugins.module_utils.rulesets import (
    RuleError,
    canonical_rule,
    check_rule,
    check_rules,
    same_rule,
)

SERVER = {"id": "a" * 32, "version": "3", "last_updated": "2026-01-01T00:00:00Z", "categories": []}


def test_server_fields_and_defaults_ignored():
    desired = check_rule({"ref": "r", "expression": "true", "action": "log"}, 0, "http_request_firewall_custom")
    actual = dict(SERVER, ref="r", expression="true", action="log", enabled=True)
    assert same_rule(desired, actual)
    assert not same_rule(desired, dict(actual, enabled=False))
    assert not same_rule(desired, dict(actual, description="x"))


def test_numbers_and_execute_version():
    desired = {"ref": "m", "expression": "true", "action": "execute", "action_parameters": {"id": "e" * 32}}
    assert same_rule(desired, dict(desired, action_parameters={"id": "e" * 32, "version": "latest"}))
    assert not same_rule(desired, dict(desired, action_parameters={"id": "e" * 32, "version": "7"}))
    limit = {"ref": "l", "expression": "true", "action": "block",
             "ratelimit": {"characteristics": ["cf.colo.id"], "period": 10.0, "requests_per_period": 5}}
    assert same_rule(limit, dict(limit, ratelimit={"characteristics": ["cf.colo.id"], "period": 10,
                                                   "requests_per_period": 5, "requests_to_origin": False,
                                                   "mitigation_timeout": 0}))
    assert not same_rule(limit, dict(limit, ratelimit={"characteristics": ["cf.colo.id"], "period": 10,
                                                       "requests_per_period": 5, "requests_to_origin": True}))


def test_canonical_rule_drops_empties():
    assert canonical_rule({"ref": "r", "description": "", "action_parameters": {}, "expression": "x",
                           "action": "log"}) == {"ref": "r", "expression": "x", "action": "log", "enabled": True}


def test_phase_unknown_to_the_table_is_not_checked_for_actions():
    assert check_rules([{"ref": "a", "expression": "true", "action": "ddos_dynamic"}], "ddos_l7")[0]["ref"] == "a"


def test_bool_is_not_an_integer():
    with pytest.raises(RuleError, match="status_code must be an integer"):
        check_rule({"ref": "b", "expression": "true", "action": "block", "action_parameters": {
            "response": {"status_code": True, "content": "x", "content_type": "text/plain"}}}, 0, None)
