"""The engine server's per-run supervisor (see hotpass.prefect_local.zygote): forked for each
accepted request, it forks the flow-run process, tells the client its pid, passes the client's
signals on, stops the run if the client vanishes, and sends the run's exit code. It never
returns into the server's code: whatever happens it ends with `os._exit`."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import time
from collections.abc import Callable

from hotpass.prefect_local.engine_start import FORWARDED
from hotpass.prefect_local.process import pidfd

STOP_GRACE_S = 2.0  # a vanished client was SIGKILLed (its SIGTERM was already passed on)
POLL_S = 0.2  # only where pidfd_open is unavailable


def supervise(conn: socket.socket, fds: list[int], say: Callable[[str], None],
              run_id: str) -> bool:
    """Fork the flow-run process. Returns True in it (with `fds` as its stdin/stdout/stderr);
    the supervisor itself never returns."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # leave the server's process group: stopping the server spares running flows
    pid = os.fork()
    if pid == 0:
        conn.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        return True
    code = 1
    try:
        for fd in fds:
            os.close(fd)
        say(f"flow run {run_id}: forked as pid {pid}")
        code = _watch(conn, pid)
    except BaseException:  # noqa: BLE001 - never unwind into the server's code
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    finally:
        with contextlib.suppress(OSError):
            conn.sendall(f"X {code}\n".encode())
        os._exit(0)


def _watch(conn: socket.socket, pid: int) -> int:
    exited = pidfd(pid)  # None: _relay polls
    try:
        conn.sendall(f"P {pid}\n".encode())
    except OSError:
        return _stop(pid, exited)
    return _relay(conn, pid, exited)


def _relay(conn: socket.socket, pid: int, exited: int | None) -> int:
    """Pass the client's signal messages on until the flow-run process exits; its exit code."""
    buffer = b""
    watched = [conn.fileno()] + ([exited] if exited is not None else [])
    while True:
        ready, _, _ = select.select(watched, [], [], None if exited is not None else POLL_S)
        code = _exit_code(pid)
        if code is not None:
            return code
        if conn.fileno() not in ready:
            continue
        try:
            chunk = conn.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:  # the client is gone (killed): stop its flow run too
            return _stop(pid, exited)
        buffer += chunk
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            _pass_on(pid, line)


def _pass_on(pid: int, line: bytes) -> None:
    if not line.startswith(b"S "):
        return
    try:
        signum = signal.Signals(int(line[2:]))
    except ValueError:
        return
    if signum in FORWARDED:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _exit_code(pid: int) -> int | None:
    done, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done == pid else None


def _stop(pid: int, exited: int | None) -> int:
    """SIGTERM, then SIGKILL after a short grace; the run's exit code."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while (code := _exit_code(pid)) is None and time.monotonic() < deadline:
        select.select([exited] if exited is not None else [], [], [], POLL_S)
    if code is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
    return code
