"""What each child run is submitted with (no server needed)."""

from __future__ import annotations

import shlex
import sys
from types import SimpleNamespace
from typing import Any

from hotpass.backfill.prefect_fanout import child_job_variables, engine_command


def _pool(kind: str = "process", default_command: str | None = None) -> Any:
    command = {"type": "string"} | ({"default": default_command} if default_command else {})
    return SimpleNamespace(type=kind, base_job_template={
        "variables": {"properties": {"command": command}}})


def test_children_on_a_process_pool_start_this_interpreters_engine_or_fork_it() -> None:
    assert child_job_variables(_pool(), {}) == {"command": engine_command()}
    assert shlex.split(engine_command()) == [sys.executable, "-m",
                                             "hotpass.prefect_local.engine_start"]


def test_a_command_chosen_by_the_deployment_or_pool_or_another_pool_type_is_left_alone() -> None:
    assert child_job_variables(_pool(), {"command": "custom"}) == {}
    assert child_job_variables(_pool(default_command="custom"), None) == {}
    assert child_job_variables(_pool("docker"), {}) == {}
    assert child_job_variables(SimpleNamespace(type="process", base_job_template=None),
                               None) == {"command": engine_command()}
