"""`invoke rehearse.staging`: the staging rehearsal with its evidence bundle."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from hotpass.paths import DEFAULT_HOME
from hotpass.tasks._boundary import reports_errors

HELP = {
    "since": "first date of the backfill window (default: six days ago, UTC)",
    "api_url": "staging Prefect API URL (default: rehearse.api_url, then PREFECT_API_URL from "
               "rehearse.env_file = .env.staging; none → a local server and worker)",
    "manifest_dir": "overlay to apply (default rehearse.manifest_dir = prefect/staging)",
    "timeout": "seconds to wait for the backfill run (default 900)",
    "json": "print one JSON document instead of text",
}


@task(help=HELP)
@reports_errors
def staging(c: Context, since: str | None = None, api_url: str | None = None,
            manifest_dir: str | None = None, timeout: float | None = None,
            json: bool = False) -> None:
    """Plan then apply prefect/staging, trigger the backfill with since, wait (children too),
    export dist/staging/backfill/<UTC timestamp>/."""
    from hotpass.bundles.masking import secrets_from_environ
    from hotpass.commands._render import emit
    from hotpass.rehearse import RehearsalRequest, resolve_staging_url, run_rehearsal
    from hotpass.tasks._step_render import render_step

    conf = c.config.rehearse
    url = resolve_staging_url(api_url, conf.get("api_url"),
                              Path(conf.get("env_file") or ".env.staging"))
    secrets = secrets_from_environ({**os.environ, "STAGING_URL": url or ""})
    result = run_rehearsal(RehearsalRequest(
        since=since, api_url=url, manifest_dir=Path(manifest_dir or conf.manifest_dir),
        bundle_root=Path(conf.bundle_root), home=Path(conf.home),
        timeout=float(timeout or conf.timeout), secrets=tuple(secrets), render=render_step))
    emit(json, result.to_json(), render_rehearsal(result))
    if result.exit_code:
        raise Exit(f"rehearsal failed: {_reason(result)}", code=result.exit_code)


def render_rehearsal(result: Any) -> str:
    from hotpass.commands._render import table
    from hotpass.tasks._step_render import render_bundle, render_steps

    guards = table(("guardrail", "status", "message"),
                   [(g["id"], g["status"], g["message"])
                    for g in result.summary.get("guardrails", [])])
    return "\n".join([render_steps(result.steps), "", guards, "",
                      *render_bundle("rehearsal", result)])


def _reason(result: Any) -> str:
    failed = next((s for s in result.steps if not s.ok), None)
    if failed is not None:
        return f"step {failed.name}: {failed.message}"
    broken = [g["id"] for g in result.summary.get("guardrails", []) if g["status"] == "fail"]
    return "guardrail(s) failed: " + ", ".join(broken)


collection = Collection("rehearse", staging)
collection.configure({"rehearse": {"api_url": None, "env_file": ".env.staging",
                                   "manifest_dir": "prefect/staging",
                                   "bundle_root": "dist/staging/backfill",
                                   "home": str(DEFAULT_HOME), "timeout": 900}})
