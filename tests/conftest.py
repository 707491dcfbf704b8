"""Shared fixtures. `prefect_server` starts one real local Prefect server per xdist worker (free
port, own PREFECT_HOME) the first time an integration test asks for it, and stops it by PID."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A running local Prefect server: `.api_url`, `.home`, `.env` (env vars for subprocesses),
    `.pid`, `.port`, `.log_path`."""
    from hotpass.prefect_local.server import start_server, stop_server

    home = tmp_path_factory.mktemp("prefect-server")
    handle = start_server(home, timeout=120)
    try:
        yield handle
    finally:
        stop_server(handle)


@pytest.fixture(scope="session")
def prefect_worker(prefect_server: object, tmp_path_factory: pytest.TempPathFactory,
                   ) -> Iterator[object]:
    """A process worker on its own pool (`.pool`, `.name`, `.pid`) polling `prefect_server`.
    Flow runs execute in a temp directory; the repo root is on its PYTHONPATH so test flows are
    importable by module path (e.g. `tests.prefect_local.sample_flows:hello_flow`)."""
    from hotpass.prefect_local.worker import start_worker, stop_worker

    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "main")
    pythonpath = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH"))
        if p)
    handle = start_worker(prefect_server.api_url,  # type: ignore[attr-defined]
                          f"hotpass-test-{worker_id}", limit=4,
                          home=prefect_server.home,  # type: ignore[attr-defined]
                          cwd=tmp_path_factory.mktemp("worker-cwd"), timeout=120,
                          extra_env={"PYTHONPATH": pythonpath})
    try:
        yield handle
    finally:
        stop_worker(handle)
