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
comes from another interpreter or with other PYTHON*/PREFECT_LOGGING_* values, and when any
preloaded module's file changed since the preload, after which the server re-executes itself to
preload the new code.
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
from collections.abc import Mapping
from dataclasses import dataclass

from hotpass.prefect_local.engine_start import HEADER, MAX_REQUEST
from hotpass.prefect_local.process import is_our_process, pidfd
from hotpass.prefect_local.worker import WORKER_MARKER
from hotpass.prefect_local.zygote_supervisor import supervise

DEFAULT_PRELOAD = ("prefect.flow_engine", "prefect._internal.metrics",
                   "hotpass.orchestration", "hotpass.refine.pipeline", "hotpass.refine.flow")
OWNER_CHECK_S = 2.0  # only where pidfd_open is unavailable
RECEIVE_TIMEOUT_S = 10.0
# Read once at start-up and fixed for the interpreter's life: a request with other values runs
# in a new interpreter (logging is configured when Prefect is imported, polars sizes its thread
# pool when it is imported).
FIXED_PREFIXES = ("PYTHON", "PREFECT_LOGGING_", "POLARS_")


@dataclass
class Request:
    executable: str
    argv: list[str]
    cwd: str
    env: dict[str, str]
    fds: list[int]

    @property
    def run_id(self) -> str:
        return self.argv[0] if self.argv else self.env.get("PREFECT__FLOW_RUN_ID", "?")


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
    """Same interpreter and the same start-up variables (PYTHONPATH, PREFECT_LOGGING_*,
    POLARS_MAX_THREADS, ...):
    a forked process keeps this interpreter's import paths, flags and logging set-up."""
    def fixed(env: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in env.items() if k.startswith(FIXED_PREFIXES)}

    return request.executable == sys.executable and fixed(request.env) == fixed(os.environ)


def receive(conn: socket.socket) -> Request:
    """The request on `conn`; ValueError (its descriptors closed) when it is not one."""
    conn.settimeout(RECEIVE_TIMEOUT_S)
    fds: list[int] = []
    try:
        data, fds, _flags, _addr = socket.recv_fds(conn, HEADER.size, 3)
        header = bytearray(data)
        size = HEADER.unpack(_read_exactly(conn, header, HEADER.size))[0]
        if size > MAX_REQUEST or len(fds) != 3:
            raise ValueError("malformed request")
        payload = json.loads(_read_exactly(conn, bytearray(), size))
        request = Request(str(payload["executable"]), [str(a) for a in payload["argv"]],
                          str(payload["cwd"]), {str(k): str(v) for k, v in
                                                dict(payload["env"]).items()}, fds)
    except Exception as exc:  # noqa: BLE001 - anything malformed is refused, never fatal
        for fd in fds:
            os.close(fd)
        raise ValueError(f"malformed request ({type(exc).__name__})") from None
    conn.settimeout(None)
    return request


def _read_exactly(conn: socket.socket, buffer: bytearray, size: int) -> bytes:
    while len(buffer) < size:
        chunk = conn.recv(size - len(buffer))
        if not chunk:
            raise ValueError("truncated request")
        buffer.extend(chunk)
    return bytes(buffer)


def serve(listener: socket.socket, stamps: dict[str, int], owner: int | None) -> Request:
    """Accept requests until the `owner` process (the worker) is gone; returns only in a forked
    flow-run process, with its request."""
    signal.signal(signal.SIGCHLD, _reap)
    owner_exit = pidfd(owner)
    while True:
        watched = [listener.fileno()] + ([owner_exit] if owner_exit is not None else [])
        ready, _, _ = select.select(watched, [], [],
                                    None if owner_exit is not None else OWNER_CHECK_S)
        if owner is not None and (owner_exit in ready if owner_exit is not None
                                  else not is_our_process(owner, WORKER_MARKER)):
            _say(f"worker {owner} is gone: stopping")
            sys.exit(0)
        if listener.fileno() in ready:
            request = _accept(listener, stamps)
            if request is not None:
                return request


def _accept(listener: socket.socket, stamps: dict[str, int]) -> Request | None:
    """Take one request: decline it, or fork it (returning it in the flow-run process)."""
    conn, _ = listener.accept()
    try:
        request = receive(conn)
    except ValueError as exc:
        _say(f"refused a connection: {exc}")
        conn.close()
        return None
    if not compatible(request):
        _decline(conn, request, "another interpreter or other PYTHON*/PREFECT_LOGGING_* values")
        return None
    if changed(stamps):
        _decline(conn, request, "preloaded code changed on disk; preloading it anew")
        listener.close()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() == 0:
        listener.close()
        supervise(conn, request.fds, _say, request.run_id)  # returns only in the flow run
        return request
    conn.close()
    for fd in request.fds:
        os.close(fd)
    return None


def _reap(_signum: int, _frame: object) -> None:
    """Collect finished supervisors (waiting, not ignoring SIGCHLD, keeps their CPU time in
    this process's children's account, where `ps` and benchmarks look)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _decline(conn: socket.socket, request: Request, reason: str) -> None:
    _say(f"declined flow run {request.run_id} ({reason}): it starts its own interpreter")
    with contextlib.suppress(OSError):
        conn.sendall(b"F declined\n")
    conn.close()
    for fd in request.fds:
        os.close(fd)


def become_flow_run(request: Request, module: str) -> None:
    """Take on the client's process context, then run the flow engine as `__main__`."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(request.env)
    os.chdir(request.cwd)
    if not sys.flags.safe_path:
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
