"""`hotpass server start|stop|status` and `hotpass worker start|stop`: a local Prefect server
and process workers in the background, state under `.hotpass/`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hotpass.commands._render import emit
from hotpass.errors import UsageError
from hotpass.paths import DEFAULT_HOME

SERVER_EXAMPLES = """examples:
  hotpass server start                      SQLite server on a free port, state in .hotpass/
  hotpass server start --port 4200          a fixed port
  hotpass server start --database-url postgresql+asyncpg://user:pass@db:5432/prefect
  hotpass server status                     health, work pools, workers online
  hotpass server stop                       stop the server and workers started from .hotpass/
"""
WORKER_EXAMPLES = """examples:
  hotpass worker start --pool hotpass-pool --limit 2
  hotpass worker stop --pool hotpass-pool
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    _register_server(subparsers, common)
    _register_worker(subparsers, common)


def _home_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--home", type=Path, default=DEFAULT_HOME, metavar="DIR",
                        help="state directory: pid, log and PREFECT_HOME "
                        f"(default: {DEFAULT_HOME})")
    return parent


def _register_server(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "server", parents=[common], help="start, stop or inspect a local Prefect server",
        description="Run `prefect server start` (127.0.0.1, UI and analytics off) in the "
        "background with pid, log and PREFECT_HOME under --home. Starting twice reuses the "
        "running server; stop ends only processes hotpass started.",
        epilog=SERVER_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", parents=[common, _home_parent()],
                               help="start (or reuse) the server and wait until healthy")
    start.add_argument("--port", type=int, help="port (default: a free one)")
    start.add_argument("--host", default="127.0.0.1",
                       help="interface to listen on (default 127.0.0.1; 0.0.0.0 lets workers on "
                            "other hosts connect)")
    start.add_argument("--database-url", metavar="URL", help="e.g. postgresql+asyncpg://…; "
                       "default SQLite under --home (or PREFECT_API_DATABASE_CONNECTION_URL)")
    start.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for health")
    start.set_defaults(handler=_start)
    stop = actions.add_parser("stop", parents=[common, _home_parent()],
                              help="stop the server and workers recorded under --home")
    stop.set_defaults(handler=_stop)
    status = actions.add_parser("status", parents=[common, _home_parent()],
                                help="health, work pools and online workers")
    status.add_argument("--api-url", metavar="URL",
                        help="inspect this server instead (default: the one under --home, "
                             "then PREFECT_API_URL)")
    status.set_defaults(handler=_status)


def _register_worker(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "worker", parents=[common], help="start or stop a local Prefect process worker",
        description="Run `prefect worker start --type process` in the background against the "
        "server (PREFECT_API_URL, else the one under --home); the pool is created if missing.",
        epilog=WORKER_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", parents=[common, _home_parent()],
                               help="start a worker and wait until it is online")
    start.add_argument("--pool", required=True, help="work pool to poll")
    start.add_argument("--limit", type=int, help="max concurrent flow runs on this worker")
    start.add_argument("--api-url", metavar="URL", help="server API URL")
    start.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for online")
    start.add_argument("--no-preload", dest="preload", action="store_false",
                       help="no preloaded engine server: backfill children start a new "
                       "interpreter each (as plain Prefect workers do)")
    start.set_defaults(handler=_worker_start)
    stop = actions.add_parser("stop", parents=[common, _home_parent()],
                              help="stop the worker(s) recorded under --home")
    stop.add_argument("--pool", help="only this pool's worker")
    stop.set_defaults(handler=_worker_stop)


def _start(args: argparse.Namespace) -> int:
    from hotpass.prefect_local.server import start_server

    handle = start_server(args.home, port=args.port, database_url=args.database_url,
                          timeout=args.timeout, host=args.host)
    emit(args.json, handle.to_json(), render_started(handle))
    return 0


def render_started(handle: Any) -> str:
    verb = "already running" if handle.reused else "started"
    return (f"Prefect server {verb} at {handle.api_url} (pid {handle.pid}, database "
            f"{handle.database})\n  log: {handle.log_path}\n"
            f"  use it from other shells: export PREFECT_API_URL={handle.api_url}")


def _stop(args: argparse.Namespace) -> int:
    from hotpass.prefect_local.server import stop_local

    result, workers = stop_local(args.home)
    emit(args.json, {**result.to_json(), "workers_stopped": [w.pid for w in workers]},
         render_stopped(result, workers))
    return 0


def render_stopped(result: Any, workers: list[Any]) -> str:
    return "\n".join([*(f"stopped worker {w.name} (pid {w.pid})" for w in workers),
                      result.message])


def _status(args: argparse.Namespace) -> int:
    from hotpass.prefect_local.server import local_status

    status = local_status(args.home, args.api_url)
    emit(args.json, status.to_json(), render_status(status))
    return status.exit_code


def render_status(status: Any) -> str:
    data = status.to_json()
    lines = [f"server {data['api_url']}: {'healthy' if status.healthy else 'NOT reachable'}"
             + (f" (pid {status.pid})" if status.pid else "")]
    for pool in data["pools"]:
        paused = ", paused" if pool["paused"] else ""
        lines.append(f"  pool {pool['name']} ({pool['type']}{paused})")
        lines += [f"    worker {w['name']}: {w['status']} (last heartbeat {w['last_heartbeat']})"
                  for w in pool["workers"]]
        if not pool["workers"]:
            lines.append("    no workers")
    if not status.healthy:
        lines.append("  hint: start one with `hotpass server start`")
    return "\n".join(lines)


def _worker_start(args: argparse.Namespace) -> int:
    from hotpass.prefect_local.client import resolve_api_url
    from hotpass.prefect_local.worker import start_worker

    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be at least 1 (got {args.limit})")
    url = resolve_api_url(args.api_url, home=args.home)
    handle = start_worker(url, args.pool, limit=args.limit, home=args.home, cwd=Path.cwd(),
                          timeout=args.timeout, preload=args.preload)
    emit(args.json, handle.to_json(), render_worker(handle))
    return 0


def render_worker(handle: Any) -> str:
    engine = (f"\n  engine server: pid {handle.engine_server_pid}, log "
              f"{handle.engine_log_path}" if handle.engine_server_pid else "")
    return (f"worker {handle.name} online on pool {handle.pool} (pid {handle.pid}, limit "
            f"{handle.limit or 'none'})\n  log: {handle.log_path}{engine}")


def _worker_stop(args: argparse.Namespace) -> int:
    from hotpass.prefect_local.worker import recorded_workers, stop_worker

    stopped = [w for w in recorded_workers(args.home)
               if (args.pool is None or w.pool == args.pool) and stop_worker(w)]
    emit(args.json, {"stopped": [w.to_json() for w in stopped]},
         "\n".join(f"stopped worker {w.name} (pid {w.pid})" for w in stopped)
         or "no running worker recorded")
    return 0
