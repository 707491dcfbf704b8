"""The body of `backfill_pipeline_flow` (hotpass.orchestration): parameters as in design §3,
children fanned out over the refinement deployment (local fallback with a warning)."""

from __future__ import annotations

import logging
from typing import Any

from hotpass.backfill import window
from hotpass.backfill.plan import BackfillRequest
from hotpass.backfill.request import BackfillOptions, build_request
from hotpass.backfill.run import BackfillEvent, run_backfill
from hotpass.errors import WorkFailed


def backfill_body(  # noqa: PLR0913 - mirrors the published flow signature
    since: str | None, start_date: str | None, end_date: str | None,
    versions: list[str] | None, runs: list[dict[str, str]] | None, archive_root: str,
    restore_root: str, archive_pattern: str, profile_name: str, concurrency_limit: int,
    rerun: str, backfill: bool, incremental: bool,
) -> dict[str, Any]:
    """Run the backfill; returns its summary, raises WorkFailed (the flow fails) if a run failed."""
    logger = _logger()
    request = flow_request(
        since=since, start_date=start_date, end_date=end_date, versions=versions, runs=runs,
        archive_root=archive_root, restore_root=restore_root, archive_pattern=archive_pattern,
        profile_name=profile_name, concurrency_limit=concurrency_limit, rerun=rerun)
    if request.start_date is not None and request.end_date is not None:
        logger.info(window.describe_window(
            request.start_date, request.end_date,
            default=window.window_is_default(start_date, since)))
    if incremental:
        logger.warning("incremental=true is ignored: each backfill run replays its whole archive")
    result = run_backfill(request, on_event=lambda event: _log(logger, event))
    summary = {**result.to_json(), "backfill": backfill, "incremental": incremental}
    totals = summary["totals"]
    logger.info("backfill %s: %s runs, %s completed, %s failed; state %s", result.backfill_id,
                totals["runs"], totals["completed"], totals["failed"], result.state_path)
    if result.exit_code:
        failed = [r.label for r in result.runs if r.status == "failed"]
        raise WorkFailed(f"backfill {result.backfill_id}: {len(failed)} run(s) failed: "
                         f"{', '.join(failed)}", hint=f"see {result.state_path}")
    return summary


def flow_request(  # noqa: PLR0913 - the flow's parameters that shape the request
    *, since: str | None, start_date: str | None, end_date: str | None,
    versions: list[str] | None, runs: list[dict[str, str]] | None, archive_root: str,
    restore_root: str, archive_pattern: str, profile_name: str, concurrency_limit: int,
    rerun: str,
) -> BackfillRequest:
    """The flow's parameters → the request, through the builder the CLI and the tasks use (no
    config file: the deployment's parameters are the settings). Children run via Prefect."""
    options = BackfillOptions(
        start_date=start_date, end_date=end_date, since=since, versions=tuple(versions or ()),
        runs=tuple(runs or ()), archive_root=archive_root, restore_root=restore_root,
        archive_pattern=archive_pattern, profile=profile_name, concurrency=concurrency_limit,
        rerun=rerun, via_prefect=True, inside_flow_run=True)
    return build_request(options).request


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        from prefect.logging import get_run_logger

        return get_run_logger()
    except Exception:  # outside a flow run (a direct call): plain logging
        return logging.getLogger("hotpass.backfill")


def _log(logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
         event: BackfillEvent) -> None:
    if event.kind == "warning":
        logger.warning(event.message)
    elif event.kind == "start":
        logger.info("running %d backfill run(s) with the %s executor", event.total, event.message)
    elif event.record is not None:
        record = event.record
        logger.info("%s %s in %.1f s%s", record.label, record.status, record.seconds or 0.0,
                    f": {record.error}" if record.error else "")
