"""A Prefect process worker in the background (`hotpass worker start --pool P --limit N`).

The worker runs flows in subprocesses of the venv it was started from, so module-path
entrypoints (`hotpass.orchestration:…`) import from the installed package. Beside it runs its
preloaded engine server (`hotpass.prefect_local.zygote`), from which flow runs whose command is
`hotpass.prefect_local.engine_start` (backfill children) are forked. State:
`<home>/worker-<name>.json`, `worker-<name>.log` and `engine-<name>.log` (the name carries the
pool).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass.errors import PrefectUnavailable
from hotpass.prefect_local import process
from hotpass.prefect_local.engine_start import SOCKET_ENV

WORKER_MARKER = ("worker", "start")
ENGINE_SERVER_MARKER = ("hotpass.prefect_local.zygote",)
SOCKET_FOLDER_PREFIX = "hotpass-engine-"
# 2 s polling halves trigger→running time; 1 s locked SQLite (prefect-notes: Workers and runs).
WORKER_ENV = {"PREFECT_WORKER_QUERY_SECONDS": "2"}


@dataclass(frozen=True)
class WorkerHandle:
    pid: int
    pool: str
    name: str
    home: Path
    log_path: Path
    limit: int | None = None
    engine_server_pid: int | None = None
    engine_socket: str | None = None

    @property
    def engine_log_path(self) -> Path:
        """The preloaded engine server's log: one line per forked flow run."""
        return engine_log_path(self.home, self.name)

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "pool": self.pool, "name": self.name, "home": str(self.home),
                "log": str(self.log_path), "limit": self.limit,
                "engine_server_pid": self.engine_server_pid,
                "engine_socket": self.engine_socket}


def _slug(pool: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", pool)


def start_worker(api_url: str, pool: str, *, limit: int | None, home: Path,  # noqa: PLR0913
                 cwd: Path | None = None, timeout: float = 60,
                 extra_env: dict[str, str] | None = None, preload: bool = True,
                 ) -> WorkerHandle:
    """Start `prefect worker start --pool POOL --type process` and wait until it is online.

    The pool is created (type process) when missing. Flow runs execute in `cwd` (default: the
    current directory), where relative paths in flow parameters resolve. With `preload`, the
    worker's engine server starts first (it is ready a second or two later; runs that come
    sooner start the ordinary way)."""
    home = home.resolve()
    name = f"hotpass-{_slug(pool)}-{os.getpid()}-{time.monotonic_ns() % 100000}"
    log_path = home / f"worker-{name}.log"
    argv = [sys.executable, "-m", "hotpass.prefect_local.worker_main", "worker", "start",
            "--pool", pool, "--type", "process", "--name", name]
    if limit is not None:
        argv += ["--limit", str(limit)]
    project_dir = {"HOTPASS_PROJECT_DIR": str((cwd or Path.cwd()).resolve())}
    env = process.child_env(home, api_url, {**WORKER_ENV, **project_dir, **(extra_env or {})})
    engine_socket = _engine_socket_path() if preload else None
    if engine_socket:
        env[SOCKET_ENV] = engine_socket
    popen = process.spawn(argv, env=env, log_path=log_path, cwd=cwd)
    engine_pid = (_start_engine_server(env, engine_socket, engine_log_path(home, name), cwd,
                                       popen.pid) if engine_socket else None)
    handle = WorkerHandle(pid=popen.pid, pool=pool, name=name, home=home, log_path=log_path,
                          limit=limit, engine_server_pid=engine_pid, engine_socket=engine_socket)
    process.write_state(state_path(home, name), handle.to_json())
    try:
        _wait_online(handle, api_url, popen.poll, timeout)
    except PrefectUnavailable:
        stop_worker(handle)
        raise
    return handle


def _engine_socket_path() -> str:
    """A socket path in a private temp folder (a Unix socket path must stay under ~100 bytes,
    which a state folder may not)."""
    return os.path.join(tempfile.mkdtemp(prefix=SOCKET_FOLDER_PREFIX), "engine.sock")


def _start_engine_server(env: dict[str, str], socket_path: str, log_path: Path,
                         cwd: Path | None, worker_pid: int) -> int:
    """Start the worker's preloaded engine server; it preloads while the worker starts, and
    stops by itself once the worker has exited."""
    argv = [sys.executable, "-m", "hotpass.prefect_local.zygote", "--socket", socket_path,
            "--owner-pid", str(worker_pid)]
    return process.spawn(argv, env=env, log_path=log_path, cwd=cwd).pid


def _wait_online(handle: WorkerHandle, api_url: str, poll: Any, timeout: float) -> None:
    from hotpass.prefect_local.client import prefect_client

    with prefect_client(api_url) as client:
        process.wait_started(
            f"the worker for pool {handle.pool!r}", handle.log_path, exited=poll,
            ready=lambda: _is_online(client, handle), timeout=timeout,
            hints=("check the log above", "read the worker log"))


def _is_online(client: Any, handle: WorkerHandle) -> bool:
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    try:
        workers = client.read_workers_for_work_pool(handle.pool)
    except (ObjectNotFound, PrefectHTTPStatusError):
        return False  # the worker has not created its pool yet
    return any(w.name == handle.name and str(getattr(w.status, "value", w.status)) == "ONLINE"
               for w in workers)


def stop_worker(handle: WorkerHandle) -> bool:
    """Stop the worker if the recorded PID is still that worker; True if it was stopped."""
    stopped = process.terminate(handle.pid, WORKER_MARKER, grace=3.0, timeout=20.0)
    if handle.engine_server_pid is not None:
        process.terminate(handle.engine_server_pid, ENGINE_SERVER_MARKER, grace=1.0,
                          timeout=5.0)
    if handle.engine_socket:
        _remove_socket_folder(Path(handle.engine_socket).parent)
    state_path(handle.home, handle.name).unlink(missing_ok=True)
    return stopped


def _remove_socket_folder(folder: Path) -> None:
    """Remove an engine server's socket folder, and only such a folder (the path comes from a
    state file)."""
    if folder.parent == Path(tempfile.gettempdir()) and \
            folder.name.startswith(SOCKET_FOLDER_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)


def engine_log_path(home: Path, name: str) -> Path:
    return home.resolve() / f"engine-{name}.log"


def state_path(home: Path, name: str) -> Path:
    return home.resolve() / f"worker-{name}.json"


def recorded_workers(home: Path) -> list[WorkerHandle]:
    """Workers recorded under `home` whose process is still running."""
    handles = []
    for path in sorted(home.resolve().glob("worker-*.json")):
        state = process.read_state(path)
        if state is None:
            continue
        try:
            handle = WorkerHandle(pid=int(state["pid"]), pool=str(state["pool"]),
                                  name=str(state["name"]), home=home.resolve(),
                                  log_path=Path(state["log"]), limit=state.get("limit"),
                                  engine_server_pid=state.get("engine_server_pid"),
                                  engine_socket=state.get("engine_socket"))
        except (KeyError, TypeError, ValueError):
            continue
        if process.is_our_process(handle.pid, WORKER_MARKER):
            handles.append(handle)
        else:  # the worker is gone: clear what is left of it (its engine server, the state)
            stop_worker(handle)
    return handles
