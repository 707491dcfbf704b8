"""The command a hotpass process worker runs for a flow run: `<python> -m
hotpass.prefect_local.engine_start [flow-run-id]`.

It asks the worker's preloaded engine server (`hotpass.prefect_local.zygote`, named by
$HOTPASS_ENGINE_SOCKET) to fork the flow-run process from an interpreter that has already
imported Prefect, hands it this process's stdin/stdout/stderr, working directory and environment,
forwards SIGTERM/SIGINT to it and exits with its exit code. With no server, or one that declines,
it becomes `<python> -m prefect.engine` itself (exec), exactly what a process worker runs anyway.

Imports nothing but the standard library: this process lives for the whole flow run, and its own
start-up is the part every run pays.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
from typing import Any, NoReturn

SOCKET_ENV = "HOTPASS_ENGINE_SOCKET"
HEADER = struct.Struct("!I")
MAX_REQUEST = 4 * 2**20
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def engine_argv(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "prefect.engine", *args]


def encode_request(args: list[str]) -> tuple[bytes, bytes]:
    """The request's header (sent with the descriptors) and body."""
    body = json.dumps({"executable": sys.executable, "argv": args, "cwd": os.getcwd(),
                       "env": dict(os.environ)}).encode()
    return HEADER.pack(len(body)), body


def read_line(conn: socket.socket, buffer: bytearray) -> str | None:
    """The next newline-terminated message on `conn`, None once the peer has closed it."""
    while b"\n" not in buffer:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        buffer.extend(chunk)
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return line.decode()


class Signals:
    """SIGTERM/SIGINT/SIGHUP, caught from the start: held until the flow-run process exists,
    then passed on to it (a cancel that lands while the run is being forked is not lost)."""

    def __init__(self) -> None:
        self.conn: socket.socket | None = None
        self.pending: list[int] = []

    def install(self) -> None:
        for signum in FORWARDED:
            signal.signal(signum, self._caught)

    def _caught(self, signum: int, _frame: Any) -> None:
        if self.conn is None:
            self.pending.append(signum)
        else:
            self._send(signum)

    def _send(self, signum: int) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.sendall(f"S {signum}\n".encode())

    def attach(self, conn: socket.socket) -> None:
        self.conn = conn
        for signum in self.pending:
            self._send(signum)
        self.pending.clear()

    def uninstall(self) -> None:
        """Default handling again; a signal held meanwhile is delivered to this process now."""
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_DFL)
        if self.pending:
            os.kill(os.getpid(), self.pending[0])


def run_forked(path: str, args: list[str], signals: Signals) -> int | None:
    """The flow-run process's exit code, or None when the server could not take the run."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    header, body = encode_request(args)
    try:
        conn.connect(path)
        socket.send_fds(conn, [header], [0, 1, 2])
        conn.sendall(body)
        buffer = bytearray()
        first = read_line(conn, buffer)
    except OSError:
        conn.close()
        return None
    if first is None or not first.startswith("P "):
        conn.close()
        return None
    signals.attach(conn)
    while (line := read_line(conn, buffer)) is not None:
        if line.startswith("X "):
            return int(line[2:])
    return 1  # the supervisor vanished: report a failure, never a success


def exit_like(code: int) -> NoReturn:
    """Exit with the flow-run process's status: its code, or killed by the same signal (the
    worker tells "killed" from "failed" by a negative return code)."""
    if code < 0:
        with contextlib.suppress(OSError, ValueError):  # SIGKILL/SIGSTOP: no handler to reset
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code if code >= 0 else 128 - code)


def main(args: list[str]) -> NoReturn:
    path = os.environ.get(SOCKET_ENV)
    signals = Signals()
    signals.install()
    code = run_forked(path, args, signals) if path else None
    if code is None:
        signals.uninstall()
        os.execv(sys.executable, engine_argv(args))
    exit_like(code)


if __name__ == "__main__":
    main(sys.argv[1:])
