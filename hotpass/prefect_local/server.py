"""A local Prefect server in the background (`hotpass server start|stop|status`).

State lives under a hotpass home directory (default `.hotpass/`): `server.json` (pid, port, api
url), `server.log`, and `prefect/` as PREFECT_HOME (SQLite database unless a database URL is
given). Starting twice reuses a healthy running server; a stale state file is removed.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotpass.bundles.masking import mask_url
from hotpass.errors import PrefectUnavailable, UsageError
from hotpass.prefect_local import process

if TYPE_CHECKING:
    from hotpass.prefect_local.worker import WorkerHandle

SERVER_MARKER = ("server", "start")
STATE_FILE = "server.json"
LOG_FILE = "server.log"
LOOPBACK = "127.0.0.1"
_ANY_OR_LOOPBACK = {"127.0.0.1", "0.0.0.0", "::", "localhost"}


def api_url_for(host: str, port: int) -> str:
    """The URL this machine reaches a server listening on `host` at: 127.0.0.1 for loopback
    and the wildcard addresses, else that address itself."""
    connect = LOOPBACK if host in _ANY_OR_LOOPBACK else host
    if ":" in connect:  # an IPv6 address
        connect = f"[{connect}]"
    return f"http://{connect}:{port}/api"


@dataclass(frozen=True)
class ServerHandle:
    pid: int
    port: int
    home: Path
    log_path: Path
    reused: bool = False
    database: str = "sqlite"
    host: str = LOOPBACK  # what it listens on

    @property
    def api_url(self) -> str:
        return api_url_for(self.host, self.port)

    @property
    def env(self) -> dict[str, str]:
        """Variables a subprocess needs to talk to this server."""
        return {"PREFECT_API_URL": self.api_url,
                "PREFECT_HOME": str(process.prefect_home(self.home)),
                **process.BASE_ENV}

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "port": self.port, "host": self.host, "api_url": self.api_url,
                "home": str(self.home), "log": str(self.log_path), "reused": self.reused,
                "database": self.database}


def start_server(home: Path, *, port: int | None = None, database_url: str | None = None,
                 timeout: float = 60, host: str = LOOPBACK) -> ServerHandle:
    """Start `prefect server start` in the background and wait for /api/health.

    Listens on 127.0.0.1 unless `host` says otherwise (e.g. 0.0.0.0 for workers on other
    hosts). Reuses the server recorded under `home` if it is still running and healthy."""
    home = home.resolve()
    running = running_server(home)
    if running is not None:
        return running
    chosen = port or process.free_port()
    extra = {"PREFECT_API_DATABASE_CONNECTION_URL": database_url} if database_url else {}
    api_url = api_url_for(host, chosen)
    log_path = home / LOG_FILE
    argv = [process.prefect_executable(), "server", "start", "--host", host,
            "--port", str(chosen), "--no-ui", "--analytics-off"]
    popen = process.spawn(argv, env=process.child_env(home, api_url, extra), log_path=log_path)
    handle = ServerHandle(pid=popen.pid, port=chosen, home=home, log_path=log_path,
                          database=_database_label(database_url), host=host)
    process.write_state(home / STATE_FILE, {**handle.to_json(), "reused": False})
    try:
        _wait_healthy(handle, popen.poll, timeout)
    except PrefectUnavailable:
        stop_server(handle)
        raise
    return handle


def _database_label(database_url: str | None) -> str:
    return mask_url(database_url) if database_url else "sqlite"


def _wait_healthy(handle: ServerHandle, poll: Any, timeout: float) -> None:
    process.wait_started(
        f"the Prefect server at {handle.api_url}", handle.log_path, exited=poll,
        ready=lambda: is_healthy(handle.api_url), timeout=timeout,
        hints=("check the log above; a busy port or a bad --database-url are common causes",
               "raise --timeout on a slow machine, or read the log"))


def is_healthy(api_url: str, *, timeout: float = 2.0) -> bool:
    """True when `<api_url>/health` answers `true`."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return bool(resp.read().strip() == b"true")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def running_server(home: Path) -> ServerHandle | None:
    """The server recorded under `home` if it is still ours and healthy; a stale record (dead
    PID or someone else's process) is removed."""
    state_path = home.resolve() / STATE_FILE
    state = process.read_state(state_path)
    if state is None:
        return None
    handle = _handle_from_state(home.resolve(), state)
    if handle is None or not process.is_our_process(handle.pid, SERVER_MARKER):
        state_path.unlink(missing_ok=True)
        return None
    if not is_healthy(handle.api_url, timeout=5.0):
        return None
    return ServerHandle(pid=handle.pid, port=handle.port, home=handle.home,
                        log_path=handle.log_path, reused=True, database=handle.database,
                        host=handle.host)


def _handle_from_state(home: Path, state: dict[str, Any]) -> ServerHandle | None:
    try:
        return ServerHandle(pid=int(state["pid"]), port=int(state["port"]), home=home,
                            log_path=Path(state.get("log", home / LOG_FILE)),
                            database=str(state.get("database", "sqlite")),
                            host=str(state.get("host", LOOPBACK)))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class StopResult:
    home: Path
    pid: int | None
    stopped: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"home": str(self.home), "pid": self.pid, "stopped": self.stopped,
                "message": self.message}


def stop_server(handle_or_home: ServerHandle | Path) -> StopResult:
    """Stop the server started under a home (or the given handle) — only if the recorded PID is
    still that server. Removes the state file either way."""
    if isinstance(handle_or_home, ServerHandle):
        home, pid = handle_or_home.home, handle_or_home.pid
    else:
        home = handle_or_home.resolve()
        state = process.read_state(home / STATE_FILE)
        if state is None:
            return StopResult(home, None, False, f"no server recorded under {home}")
        try:
            pid = int(state["pid"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"unreadable server state {home / STATE_FILE}",
                             hint="delete the file; no process was signalled") from exc
    stopped = process.terminate(pid, SERVER_MARKER, grace=10.0, timeout=30.0)
    (home / STATE_FILE).unlink(missing_ok=True)
    message = f"stopped server pid {pid}" if stopped else f"server pid {pid} was not running"
    return StopResult(home, pid, stopped, message)


def stop_local(home: Path) -> tuple[StopResult, list[WorkerHandle]]:
    """`hotpass server stop`: the workers recorded under `home`, then its server (only processes
    hotpass started). Returns the server's result and the workers that were stopped."""
    from hotpass.prefect_local.worker import recorded_workers, stop_worker

    workers = [w for w in recorded_workers(home) if stop_worker(w)]
    return stop_server(home), workers


def local_status(home: Path, api_url: str | None = None) -> ServerStatus:
    """`hotpass server status`: `api_url`, else the server running under `home`, else
    PREFECT_API_URL (environment, then Prefect profile); the PID is known for the local one."""
    from hotpass.prefect_local.client import resolve_api_url

    local = running_server(home)
    url = resolve_api_url(api_url or (local.api_url if local else None), home=home)
    return server_status(url, pid=local.pid if local and local.api_url == url else None)


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    status: str
    last_heartbeat: str | None


@dataclass(frozen=True)
class PoolStatus:
    name: str
    type: str
    paused: bool
    workers: list[WorkerStatus] = field(default_factory=list)


@dataclass(frozen=True)
class ServerStatus:
    api_url: str
    healthy: bool
    pid: int | None = None
    pools: list[PoolStatus] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.healthy else 3

    @property
    def workers_online(self) -> list[str]:
        return [w.name for p in self.pools for w in p.workers if w.status == "ONLINE"]

    def to_json(self) -> dict[str, Any]:
        return {
            "api_url": mask_url(self.api_url), "healthy": self.healthy, "pid": self.pid,
            "workers_online": self.workers_online,
            "pools": [{"name": p.name, "type": p.type, "paused": p.paused,
                       "workers": [vars(w) for w in p.workers]} for p in self.pools],
        }


def server_status(api_url: str, *, pid: int | None = None) -> ServerStatus:
    """Health, work pools and their workers (ONLINE while heartbeats arrive)."""
    if not is_healthy(api_url):
        return ServerStatus(api_url=api_url, healthy=False, pid=pid)
    from hotpass.prefect_local.client import prefect_client

    pools: list[PoolStatus] = []
    with prefect_client(api_url) as client:
        for pool in client.read_work_pools():
            workers = [WorkerStatus(w.name, str(getattr(w.status, "value", w.status)),
                                    w.last_heartbeat_time.isoformat()
                                    if w.last_heartbeat_time else None)
                       for w in client.read_workers_for_work_pool(pool.name)]
            pools.append(PoolStatus(pool.name, pool.type, bool(pool.is_paused), workers))
    return ServerStatus(api_url=api_url, healthy=True, pid=pid, pools=pools)
