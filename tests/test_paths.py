"""hotpass.paths: the default hotpass home is spelled once, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hotpass import paths


def test_the_default_home_is_relative_to_the_working_directory() -> None:
    assert paths.DEFAULT_HOME.as_posix() == ".hotpass"
    assert not paths.DEFAULT_HOME.is_absolute()


def test_modules_default_to_the_one_home() -> None:
    from hotpass.commands import server as server_command
    from hotpass.deploy.cache import DEFAULT_CACHE_DIR
    from hotpass.rehearse import RehearsalRequest
    from hotpass.tasks import rehearse as rehearse_tasks
    from hotpass.tasks import server as server_tasks
    from hotpass.tasks import worker as worker_tasks

    assert server_command.DEFAULT_HOME is paths.DEFAULT_HOME
    assert DEFAULT_CACHE_DIR == paths.DEFAULT_HOME / "cache"
    assert server_tasks.collection.configuration()["server"]["home"] == ".hotpass"
    assert worker_tasks.collection.configuration()["worker"]["home"] == ".hotpass"
    assert rehearse_tasks.collection.configuration()["rehearse"]["home"] == ".hotpass"
    assert RehearsalRequest().home is paths.DEFAULT_HOME


def test_importing_paths_does_not_import_prefect() -> None:
    code = "import sys, hotpass.paths; print(sorted(m for m in sys.modules if 'prefect' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip() == "[]"
