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


def engine_argv(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "prefect.engine", *args]


def encode_request(args: list[str]) -> bytes:
    body = json.dumps({"executable": sys.executable, "argv": args, "cwd": os.getcwd(),
                       "env": dict(os.environ)}).encode()
    return HEADER.pack(len(body)) + body


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


def run_forked(path: str, args: list[str]) -> int | None:
    """The flow-run process's exit code, or None when the server could not take the run."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
        socket.send_fds(conn, [encode_request(args)], [0, 1, 2])
        buffer = bytearray()
        first = read_line(conn, buffer)
    except OSError:
        conn.close()
        return None
    if first is None or not first.startswith("P "):
        conn.close()
        return None
    _forward_signals(conn)
    while (line := read_line(conn, buffer)) is not None:
        if line.startswith("X "):
            return int(line[2:])
    return 1  # the supervisor vanished: report a failure, never a success


def _forward_signals(conn: socket.socket) -> None:
    def forward(signum: int, _frame: Any) -> None:
        with contextlib.suppress(OSError):
            conn.sendall(f"S {signum}\n".encode())

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)


def main(args: list[str]) -> NoReturn:
    path = os.environ.get(SOCKET_ENV)
    code = run_forked(path, args) if path else None
    if code is None:
        os.execv(sys.executable, engine_argv(args))
    sys.exit(code if code >= 0 else 128 - code)  # killed by signal N: 128 + N, as a shell


if __name__ == "__main__":
    main(sys.argv[1:])
