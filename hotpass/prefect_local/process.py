"""Background processes hotpass starts (the Prefect server, process workers): their state files,
and stopping exactly the process that was recorded, never anything else.

Each process is started in its own session, so its PID is also its process-group id and the group
can be signalled as a whole (the server and worker spawn children of their own).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hotpass.errors import PrefectUnavailable
from hotpass.fsutil import atomic_write_json

# The server's own default analytics/UI are off; workers poll every 2 s (10 s is the default and
# 1 s caused SQLite "database is locked" storms, prefect-notes: Server).
BASE_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
}


def prefect_executable() -> str:
    """The `prefect` script of the running interpreter's environment (the venv's)."""
    candidate = Path(sys.executable).parent / "prefect"
    return str(candidate) if candidate.exists() else "prefect"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prefect_home(home: Path) -> Path:
    """The PREFECT_HOME used by processes started under the hotpass state directory `home`."""
    return home / "prefect"


def child_env(home: Path, api_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of a started process: the caller's, pointed at `home` and `api_url`."""
    env = dict(os.environ)
    env.update(BASE_ENV)
    env["PREFECT_HOME"] = str(prefect_home(home))
    env["PREFECT_API_URL"] = api_url
    env.update(extra or {})
    return env


def spawn(argv: Sequence[str], *, env: Mapping[str, str], log_path: Path,
          cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start `argv` in the background in a new session, stdout and stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=dict(env), cwd=cwd, start_new_session=True,
        )


def write_state(path: Path, state: Mapping[str, Any]) -> None:
    atomic_write_json(path, dict(state))


def read_state(path: Path) -> dict[str, Any] | None:
    """The recorded state, or None when there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_our_process(pid: int, marker: Sequence[str]) -> bool:
    """True when `pid` is alive and its command line still contains every word of `marker`
    (a recycled PID running something else is not ours)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _alive_without_proc(pid) if not Path("/proc/self").exists() else False
    words = raw.decode("utf-8", "replace").split("\0")
    return all(word in words for word in marker)


def _alive_without_proc(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def terminate(pid: int, marker: Sequence[str], *, grace: float = 5.0, timeout: float = 20.0,
              ) -> bool:
    """Stop the process group led by `pid` if it is still ours: SIGTERM, a second SIGTERM after
    `grace` (an idle worker may ignore the first), SIGKILL after `timeout`. True if it was ours."""
    if not is_our_process(pid, marker):
        return False
    deadline = time.monotonic() + timeout
    _signal_group(pid, signal.SIGTERM)
    second_sent = False
    started = time.monotonic()
    while time.monotonic() < deadline:
        if _reaped(pid):
            return True
        if not second_sent and time.monotonic() - started > grace:
            _signal_group(pid, signal.SIGTERM)
            second_sent = True
        time.sleep(0.2)
    _signal_group(pid, signal.SIGKILL)
    _reaped(pid)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _reaped(pid: int) -> bool:
    """True once `pid` has exited (reaping it if it is our child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return True
    except ChildProcessError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return not _alive_without_proc(pid)
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_started(what: str, log_path: Path, *, exited: Callable[[], int | None],
                 ready: Callable[[], bool], timeout: float, hints: tuple[str, str]) -> None:
    """Wait until a process just started is `ready` (checked every 0.5 s). PrefectUnavailable
    when it exits first (with its log's tail) or is still not ready after `timeout` seconds;
    `hints` are for those two cases. `what` names it, e.g. "the worker for pool 'p'"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if exited() is not None:
            raise PrefectUnavailable(f"{what} exited during start-up (log {log_path}):\n"
                                     f"{log_tail(log_path)}", hint=hints[0])
        if ready():
            return
        time.sleep(0.5)
    raise PrefectUnavailable(f"{what} was not ready after {timeout:.0f}s (log {log_path})",
                             hint=hints[1])


def pidfd(pid: int | None) -> int | None:
    """A descriptor that becomes readable once `pid` exits (not fooled by a reused pid), or
    None when there is no pid or the system offers none (then callers poll)."""
    if pid is None:
        return None
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None
