"""`invoke backfill.stage|plan|run|status`: the `hotpass backfill` library calls as tasks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from hotpass.tasks._boundary import reports_errors

if TYPE_CHECKING:
    from hotpass.backfill.plan import BackfillRequest

WINDOW_HELP = {
    "start_date": "first date of the window (YYYY-MM-DD)",
    "end_date": "last date, inclusive (default today, UTC)",
    "version": "archive version, repeatable (default: every version archived per date)",
    "config": "TOML file with [orchestrator.backfill] and [pipeline] defaults",
    "archive_root": "folder of archives (default backfill.archive_root)",
    "restore_root": "restored inputs, outputs and state (default backfill.restore_root)",
    "archive_pattern": "archive path under the root, with {date} and {version}",
    "profile": "refinement profile name or YAML file",
    "resume": "continue backfill ID from its state file",
    "rerun": "missing (default), failed or all",
    "json": "print one JSON document instead of the table",
}
RUN_HELP = {**WINDOW_HELP, "concurrency": "runs at once (default 2)",
            "via_prefect": "child flow runs of the refinement deployment on the work pool",
            "archive": "re-bundle each run's inputs under <restore-root>/archive",
            "api_url": "Prefect API URL (default PREFECT_API_URL or the local server)"}


def _request(c: Context, version: list[str] | None, config: str | None,
             **values: Any) -> BackfillRequest:
    """Task arguments → the library's request; the collection's configured roots apply unless
    a config file supplies its own. Notes (e.g. the default window) go to stderr."""
    from hotpass.backfill.request import BackfillOptions, build_request

    defaults = c.config.backfill
    config_path = Path(config) if config else None
    for name in ("archive_root", "restore_root"):
        if not values.get(name) and config_path is None:
            values[name] = defaults[name]
    resolved = build_request(BackfillOptions(versions=tuple(version or ()), config=config_path,
                                             **values))
    for note in resolved.notes:
        print(f"note: {note}", file=sys.stderr)
    return resolved.request


@task(help={"date": "the day the inputs belong to (YYYY-MM-DD)",
            "input_dir": "folder of spreadsheets to archive",
            "archive_root": "archive root (default backfill.archive_root)", "json": "JSON output"})
@reports_errors
def stage(c: Context, date: str, input_dir: str, archive_root: str | None = None,
          json: bool = False) -> None:
    """Archive a folder of inputs as the next version of DATE (zip + SHA256SUMS)."""
    from hotpass.backfill.stage import stage_inputs
    from hotpass.backfill.window import parse_date
    from hotpass.commands._render import emit

    result = stage_inputs(Path(input_dir), Path(archive_root or c.config.backfill.archive_root),
                          parse_date(date, "--date"))
    emit(json, result.to_json(), f"staged {len(result.files)} file(s) as {result.archive_path}")


@task(help=WINDOW_HELP, iterable=["version"])
@reports_errors
def plan(c: Context, start_date: str | None = None, end_date: str | None = None,  # noqa: PLR0913
         version: list[str] | None = None, config: str | None = None,
         archive_root: str | None = None, restore_root: str | None = None,
         archive_pattern: str | None = None, profile: str | None = None,
         resume: str | None = None, rerun: str = "missing", json: bool = False) -> None:
    """Print what a backfill would run (archives, missing ones, the rerun rule); write nothing."""
    from hotpass.backfill.plan import plan as make_plan
    from hotpass.commands._render import emit
    from hotpass.commands.backfill import render_plan

    preview = make_plan(_request(
        c, version, config, start_date=start_date, end_date=end_date, archive_root=archive_root,
        restore_root=restore_root, archive_pattern=archive_pattern, profile=profile,
        resume=resume, rerun=rerun or "missing", dry_run=True))
    emit(json, preview.to_json(), render_plan(preview))


@task(help=RUN_HELP, iterable=["version"])
@reports_errors
def run(c: Context, start_date: str | None = None, end_date: str | None = None,  # noqa: PLR0913
        version: list[str] | None = None, config: str | None = None,
        archive_root: str | None = None, restore_root: str | None = None,
        archive_pattern: str | None = None, profile: str | None = None,
        resume: str | None = None, rerun: str = "missing", concurrency: int | None = None,
        via_prefect: bool = False, archive: bool = False, api_url: str | None = None,
        json: bool = False) -> None:
    """Run (or continue) a backfill; exits 1 if any run failed."""
    from hotpass.backfill.run import run_backfill
    from hotpass.commands._render import emit
    from hotpass.commands.backfill import Progress, render_result

    request = _request(
        c, version, config, start_date=start_date, end_date=end_date, archive_root=archive_root,
        restore_root=restore_root, archive_pattern=archive_pattern, profile=profile,
        resume=resume, rerun=rerun or "missing", concurrency=concurrency,
        via_prefect=via_prefect, archive=archive, api_url=api_url)
    progress = Progress(sys.stderr)
    try:
        result = run_backfill(request, on_event=progress.on_event)
    finally:
        progress.close()
    emit(json, result.to_json(), render_result(result))
    if result.exit_code:
        raise Exit(code=result.exit_code)


@task(help={"id": "backfill id (or the path of its state file)",
            "restore_root": "where the state lives (default backfill.restore_root)",
            "json": "print the state as JSON"})
@reports_errors
def status(c: Context, id: str, restore_root: str | None = None, json: bool = False) -> None:
    """Print the per-run table and totals of backfill ID."""
    from hotpass.backfill.run import load_status
    from hotpass.commands._render import emit
    from hotpass.commands.backfill import render_result

    result = load_status(Path(restore_root or c.config.backfill.restore_root), id)
    emit(json, result.to_json(), render_result(result))


collection = Collection("backfill", stage, plan, run, status)
collection.configure({"backfill": {"archive_root": "dist/archive",
                                   "restore_root": "dist/backfill"}})
