# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin behind every module of the collection (plugins/action/<module>.py subclass it).

The modules only talk to the Cloudflare API, so they nearly always run on the controller. Started as a
separate process, each task pays for importing the Cloudflare SDK (pydantic, httpx: 0.3 s or more). When the
task would run on the controller anyway (local connection, no become, no task environment, no async, the
controller's own Python), this plugin runs the module's ``main()`` inside the task's worker process instead,
where the SDK is already imported (the strategy loads this plugin, and so the SDK, once in the parent process).
Otherwise, and whenever the in-process path is unavailable, the module is executed the usual way.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import traceback

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.vars.clean import remove_internal_keys

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19: always execute the module as a process
    patch_module_args = None

try:
    # imported once here, inherited by workers
    import cloudflare  # noqa: F401  pylint: disable=unused-import
    HAS_SDK = True
except ImportError:
    HAS_SDK = False

display = Display()
MODULE_PACKAGE = "ansible_collections.websoft9.cloudflare.plugins.modules."


def _is_controller_python(path):
    """The same interpreter in the same environment (a venv's python and python3 are one; another venv is not)."""
    try:
        return (os.path.dirname(os.path.abspath(path)) == os.path.dirname(os.path.abspath(sys.executable))
                and os.path.samefile(path, sys.executable))
    except (OSError, TypeError):
        return False


class InProcessAction(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(InProcessAction, self).run(tmp, task_vars)
        module_name = self._task.resolved_action or self._task.action
        if not self._in_process(module_name, task_vars):
            display.vvv("%s: executing the module as a process" % module_name)
            result.update(self._execute_module(module_name=module_name, task_vars=task_vars))
            return result
        display.vvv("%s: running the module in the worker process" % module_name)
        args = dict(self._task.args)
        self._update_module_args(module_name, args, task_vars)
        result.update(self._run_in_process(module_name, args))
        return result

    def _in_process(self, module_name, task_vars):
        if patch_module_args is None or not HAS_SDK or not module_name.startswith("websoft9.cloudflare."):
            return False
        if self._connection.transport not in ("local", "ansible.builtin.local"):
            return False
        if self._task.async_val or self._play_context.become or any(self._task.environment or []):
            return False
        interpreter = task_vars.get("ansible_python_interpreter")
        return interpreter is None or interpreter.startswith("auto") or _is_controller_python(interpreter)

    def _run_in_process(self, module_name, args):
        out = io.StringIO()
        try:
            module = importlib.import_module(MODULE_PACKAGE + module_name.rsplit(".", 1)[1])
            with patch_module_args(args), contextlib.redirect_stdout(out):
                try:
                    module.main()
                except SystemExit:
                    pass
        # a module bug must become a failed task, not a crash
        except Exception:  # pylint: disable=broad-except
            return {"failed": True, "msg": "module %s raised an exception" % module_name,
                    "exception": traceback.format_exc()}
        data = self._parse_returned_data({"rc": 0, "stdout": out.getvalue(), "stderr": ""}, "legacy")
        remove_internal_keys(data)
        return data
