# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: writes each task's wall time to $TASK_TIMER_OUT as JSON lines."""
from __future__ import annotations

DOCUMENTATION = r"""
name: task_timer
type: aggregate
short_description: Record task wall times for the benchmarks
description: Writes one JSON line per finished task (name, seconds) to the file named by E(TASK_TIMER_OUT).
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.monotonic()

    def _done(self, result, **kwargs):
        task = result._task
        seconds = time.monotonic() - self._started.get(task._uuid, time.monotonic())
        with open(os.environ["TASK_TIMER_OUT"], "a") as out:
            out.write(json.dumps({"name": task.get_name(), "seconds": seconds}) + "\n")

    v2_runner_on_ok = v2_runner_on_failed = _done
