"""A preloaded engine server beside each hotpass process worker: flow-run processes are forked
from an interpreter that has already imported Prefect's flow engine and the flows' modules,
instead of each starting Python and importing Prefect again (~1 CPU-s per run on two cores;
a backfill pays it once per child, on the cores its runs need).

    <python> -m hotpass.prefect_local.zygote --socket PATH [--preload MODULE ...]

`hotpass.prefect_local.engine_start` is the client. For each request the server forks a
supervisor, which forks the flow-run process, passes its pid to the client, forwards the
client's signals, kills the run if the client goes away and finally sends its exit code. The
flow-run process takes over the client's stdin/stdout/stderr, working directory and environment
(Prefect's settings are re-read from it), then runs `prefect.engine` as `__main__` and exits
like any interpreter.

Correctness before speed: a request is declined (the client then execs the engine itself) when it
comes from another interpreter, and when any preloaded module's file changed since the preload,
after which the server re-executes itself to preload the new code.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import random
import runpy
import select
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import NoReturn

from hotpass.prefect_local.engine_start import HEADER, MAX_REQUEST

DEFAULT_PRELOAD = ("prefect.flow_engine", "prefect._internal.metrics",
                   "hotpass.orchestration", "hotpass.refine.pipeline", "hotpass.refine.flow")
STOP_GRACE_S = 10.0
OWNER_CHECK_S = 2.0


@dataclass
class Request:
    executable: str
    argv: list[str]
    cwd: str
    env: dict[str, str]
    fds: list[int]


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} engine server {os.getpid()}: {message}", flush=True)


def module_stamps() -> dict[str, int]:
    """Modification time of every loaded module's file."""
    stamps = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            try:
                stamps[path] = os.stat(path).st_mtime_ns
            except OSError:
                continue
    return stamps


def changed(stamps: dict[str, int]) -> bool:
    for path, stamp in stamps.items():
        try:
            if os.stat(path).st_mtime_ns != stamp:
                return True
        except OSError:
            return True
    return False


def compatible(request: Request) -> bool:
    """Same interpreter and the same Python start-up variables (PYTHONPATH, ...): a forked
    process keeps this interpreter's import paths and flags."""
    python_vars = {k: v for k, v in os.environ.items() if k.startswith("PYTHON")}
    requested = {k: v for k, v in request.env.items() if k.startswith("PYTHON")}
    return request.executable == sys.executable and requested == python_vars


def receive(conn: socket.socket) -> Request:
    conn.settimeout(10)
    data, fds, _flags, _addr = socket.recv_fds(conn, HEADER.size + 65536, 3)
    (size,) = HEADER.unpack_from(data)
    if size > MAX_REQUEST or len(fds) != 3:
        raise ValueError("malformed request")
    body = bytearray(data[HEADER.size:])
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ValueError("truncated request")
        body.extend(chunk)
    conn.settimeout(None)
    payload = json.loads(body)
    return Request(payload["executable"], list(payload["argv"]), payload["cwd"],
                   dict(payload["env"]), fds)


def serve(listener: socket.socket, stamps: dict[str, int], owner: int | None) -> Request:
    """Accept requests until the `owner` process (the worker) is gone; returns only in a forked
    flow-run process, with its request."""
    signal.signal(signal.SIGCHLD, _reap)
    while True:
        if not select.select([listener], [], [], OWNER_CHECK_S)[0]:
            if owner is not None and not _alive(owner):
                _say(f"worker {owner} is gone: stopping")
                sys.exit(0)
            continue
        conn, _ = listener.accept()
        try:
            request = receive(conn)
        except (OSError, ValueError):
            conn.close()
            continue
        if not compatible(request):
            _decline(conn, request, "another interpreter or other PYTHON* variables")
            continue
        if changed(stamps):
            _decline(conn, request, "preloaded code changed on disk; preloading it anew")
            listener.close()  # the code changed: preload it anew
            os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            listener.close()
            return supervise(conn, request)
        conn.close()
        for fd in request.fds:
            os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (the worker exited, its parent has not reaped it) is gone too
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _reap(_signum: int, _frame: object) -> None:
    """Collect finished supervisors (waiting, not ignoring SIGCHLD, keeps their CPU time in
    this process's children's account, where `ps` and benchmarks look)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _decline(conn: socket.socket, request: Request, reason: str) -> None:
    _say(f"declined a flow run ({reason}): it starts its own interpreter")
    with contextlib.suppress(OSError):
        conn.sendall(b"F declined\n")
    conn.close()
    for fd in request.fds:
        os.close(fd)


def supervise(conn: socket.socket, request: Request) -> Request:
    """In the supervisor: fork the flow-run process (which returns from here), relay signals to
    it and report its exit code. The supervisor itself never returns."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # leave the server's process group: stopping the server spares running flows
    pid = os.fork()
    if pid == 0:
        conn.close()
        for target, fd in enumerate(request.fds):
            os.dup2(fd, target)
            os.close(fd)
        return request
    for fd in request.fds:
        os.close(fd)
    run_id = request.argv[0] if request.argv else request.env.get("PREFECT__FLOW_RUN_ID", "?")
    _say(f"flow run {run_id}: forked as pid {pid}")
    pidfd = os.pidfd_open(pid)
    try:
        conn.sendall(f"P {pid}\n".encode())
    except OSError:
        _stop(pid, pidfd)
    code = _relay(conn, pid, pidfd)
    with contextlib.suppress(OSError):
        conn.sendall(f"X {code}\n".encode())
    os._exit(0)


def _relay(conn: socket.socket, pid: int, pidfd: int) -> int:
    """Forward the client's signal messages until the flow-run process exits; its exit code."""
    buffer = b""
    while True:
        ready, _, _ = select.select([conn.fileno(), pidfd], [], [])
        if pidfd in ready:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        try:
            chunk = conn.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:  # the client is gone (killed): stop its flow run too
            _stop(pid, pidfd)
        buffer += chunk
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            if line.startswith(b"S "):
                os.kill(pid, int(line[2:]))


def _stop(pid: int, pidfd: int) -> NoReturn:
    os.kill(pid, signal.SIGTERM)
    ready, _, _ = select.select([pidfd], [], [], STOP_GRACE_S)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os._exit(0)


def become_flow_run(request: Request, module: str) -> None:
    """Take on the client's process context, then run the flow engine as `__main__`."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(request.env)
    os.chdir(request.cwd)
    sys.path[0] = request.cwd  # as `python -m` would have set it
    sys.argv = [sys.executable, *request.argv]
    random.seed()  # not the sequence every sibling inherited
    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()  # read at import, from the server's environment
    # A preloaded flow module may have imported the engine module; as under `python -m`, the
    # module runs as __main__ beside that copy.
    sys.modules.pop(module, None)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True, help="path of the Unix socket to serve")
    parser.add_argument("--preload", nargs="*", default=list(DEFAULT_PRELOAD),
                        help="modules to import before serving")
    parser.add_argument("--run-module", default="prefect.engine",
                        help="module each forked process runs as __main__")
    parser.add_argument("--owner-pid", type=int,
                        help="stop serving once this process (the worker) has exited")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    for name in args.preload:
        importlib.import_module(name)
    if "prefect.client.base" in sys.modules:  # the flow runs' clients, as the worker's
        from hotpass.prefect_local.transport import install_quick_retries

        install_quick_retries()
    stamps = module_stamps()
    if os.path.exists(args.socket):
        os.unlink(args.socket)  # ours, from before a re-exec
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(args.socket)
    listener.listen(64)
    _say(f"ready on {args.socket}: {len(stamps)} modules preloaded in "
         f"{time.perf_counter() - started:.1f} s")
    become_flow_run(serve(listener, stamps, args.owner_pid), args.run_module)


if __name__ == "__main__":
    main()
