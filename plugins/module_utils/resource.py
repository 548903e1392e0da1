# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired vs actual -> plan -> apply, with check mode, diff and one result shape.

A module declares how to find its object, what it wants, and the create/update/delete calls; ``run()`` does
the rest. A second run of an unchanged task reads once and writes nothing.
"""

from __future__ import annotations

from ansible_collections.websoft9.cloudflare.plugins.module_utils.normalise import differences


class Resource(object):
    kind = "resource"  # the result key and the noun in messages
    defaults = {}      # server-side defaults: an unset actual value means these

    def __init__(self, module, cf):
        self.module = module
        self.cf = cf

    # --- to implement ----------------------------------------------------------------------------------------
    def validate(self):
        """Fail (naming the field) on bad input; called before anything is read or written."""

    def find(self):
        raise NotImplementedError

    def desired(self, actual):
        """The wire body the task asks for (only what the user set)."""
        raise NotImplementedError

    def create(self, body):
        raise NotImplementedError

    def update(self, actual, body, changed_fields):
        raise NotImplementedError

    def delete(self, actual):
        raise NotImplementedError

    # --- optional ------------------------------------------------------------------------------------------------
    def changed_fields(self, desired, actual):
        return differences(desired, actual, self.defaults)

    def view(self, obj):
        """What the module returns (and diffs) for an API object."""
        return obj

    def planned(self, actual, body):
        """The object as it would be after the write, for check mode and the diff."""
        merged = dict(actual or {})
        merged.update({k: v for k, v in body.items() if v is not None})
        return merged

    # --- driver ----------------------------------------------------------------------------------------------------
    def run(self):
        self.validate()
        state = self.module.params.get("state", "present")
        actual = self.find()
        result = {"changed": False}
        before = self.view(actual) if actual else {}
        after = before
        if state == "absent":
            if actual:
                result["changed"] = True
                if not self.module.check_mode:
                    self.delete(actual)
                after = {}
        else:
            body = self.desired(actual)
            if actual is None:
                result["changed"] = True
                obj = self.planned(None, body) if self.module.check_mode else self.create(body)
                after = self.view(obj)
            else:
                fields = self.changed_fields(body, actual)
                if fields:
                    result["changed"] = True
                    result["changed_fields"] = fields
                    obj = self.planned(actual, body) if self.module.check_mode else self.update(actual, body, fields)
                    after = self.view(obj)
        result[self.kind] = after
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        self.module.exit_json(**result)
