"""`invoke server.up|down|status`: the local Prefect server (as `hotpass server …`)."""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from hotpass.paths import DEFAULT_HOME
from hotpass.tasks._boundary import reports_errors

HELP = {
    "home": f"state directory: pid, log, PREFECT_HOME (default: server.home = {DEFAULT_HOME})",
    "port": "port on 127.0.0.1 (default: a free one)",
    "database_url": "e.g. postgresql+asyncpg://…; default SQLite under --home",
    "api_url": "inspect this server instead of the one under --home",
    "json": "print one JSON document",
}


def _help(*names: str) -> dict[str, str]:
    return {name: HELP[name] for name in names}


def _home(c: Context, home: str | None) -> Path:
    return Path(home or c.config.server.home)


@task(help=_help("home", "port", "database_url", "json"))
@reports_errors
def up(c: Context, home: str | None = None, port: int | None = None,
       database_url: str | None = None, json: bool = False) -> None:
    """Start (or reuse) a local Prefect server and wait until it is healthy."""
    from hotpass.commands._render import emit
    from hotpass.commands.server import render_started
    from hotpass.prefect_local.server import start_server

    handle = start_server(_home(c, home), port=port, database_url=database_url,
                          timeout=float(c.config.server.timeout))
    emit(json, handle.to_json(), render_started(handle))


@task(help=_help("home", "json"))
@reports_errors
def down(c: Context, home: str | None = None, json: bool = False) -> None:
    """Stop the server and the workers recorded under --home (only processes hotpass started)."""
    from hotpass.commands._render import emit
    from hotpass.commands.server import render_stopped
    from hotpass.prefect_local.server import stop_local

    result, workers = stop_local(_home(c, home))
    emit(json, {**result.to_json(), "workers_stopped": [w.pid for w in workers]},
         render_stopped(result, workers))


@task(help=_help("home", "api_url", "json"))
@reports_errors
def status(c: Context, home: str | None = None, api_url: str | None = None,
           json: bool = False) -> None:
    """Health, work pools and online workers; exits 3 when the server is not reachable."""
    from hotpass.commands._render import emit
    from hotpass.commands.server import render_status
    from hotpass.prefect_local.server import local_status

    result = local_status(_home(c, home), api_url)
    emit(json, result.to_json(), render_status(result))
    if result.exit_code:
        raise Exit(code=result.exit_code)


collection = Collection("server", up, down, status)
collection.configure({"server": {"home": str(DEFAULT_HOME), "timeout": 90}})
