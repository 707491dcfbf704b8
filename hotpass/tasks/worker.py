"""`invoke worker.up`: a background Prefect process worker, as `hotpass worker start`."""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

from hotpass.paths import DEFAULT_HOME
from hotpass.tasks._boundary import reports_errors

HELP = {
    "pool": "work pool to poll (default: worker.pool = hotpass-pool)",
    "limit": "max concurrent flow runs (default: worker.limit = 2)",
    "home": f"state directory (default: server.home = {DEFAULT_HOME})",
    "api_url": "server API URL (default: PREFECT_API_URL, then the server under --home)",
    "json": "print one JSON document",
}


@task(help=HELP)
@reports_errors
def up(c: Context, pool: str | None = None, limit: int | None = None, home: str | None = None,
       api_url: str | None = None, json: bool = False) -> None:
    """Start a process worker in the background and wait until it is online."""
    from hotpass.commands._render import emit
    from hotpass.commands.server import render_worker
    from hotpass.prefect_local.client import resolve_api_url
    from hotpass.prefect_local.worker import start_worker

    state_dir = Path(home or c.config.worker.home)
    handle = start_worker(resolve_api_url(api_url, home=state_dir),
                          pool or c.config.worker.pool,
                          limit=limit if limit is not None else c.config.worker.limit,
                          home=state_dir, cwd=Path.cwd(), timeout=float(c.config.worker.timeout))
    emit(json, handle.to_json(), render_worker(handle))


collection = Collection("worker", up)
collection.configure({"worker": {"pool": "hotpass-pool", "limit": 2, "home": str(DEFAULT_HOME),
                                 "timeout": 90}})
