"""The two Prefect flows the deployments run. Thin: the parameter lists are a contract with
manifests already in use (design §3), the bodies live in the library."""

from __future__ import annotations

import os
from typing import Any

from prefect import flow

REFINEMENT_FLOW_NAME = "hotpass-refinement-pipeline"
BACKFILL_FLOW_NAME = "hotpass-backfill-pipeline"
# A process worker runs each flow in a fresh temp directory, so relative paths in parameters
# ("data", "dist/…") resolve against the project folder the worker was started for.
PROJECT_DIR_ENV = "HOTPASS_PROJECT_DIR"


def project_path(value: str) -> str:
    """`value` made absolute against $HOTPASS_PROJECT_DIR when it is relative and that is set."""
    root = os.environ.get(PROJECT_DIR_ENV)
    return os.path.join(root, value) if root and not os.path.isabs(value) else value


@flow(name=REFINEMENT_FLOW_NAME, log_prints=True)
def refinement_pipeline_flow(  # noqa: PLR0913 - the parameter list is a published contract
    input_dir: str = "data",
    output_path: str = "dist/refined.xlsx",
    profile_name: str = "generic",
    archive: bool = False,
    dist_dir: str = "dist",
    backfill: bool = False,
    incremental: bool = False,
    since: str | None = None,
) -> dict[str, Any]:
    """Refine every spreadsheet under `input_dir` into one workbook; returns the run summary."""
    from hotpass.refine.flow import refinement_body

    summary: dict[str, Any] = refinement_body(
        input_dir=project_path(input_dir), output_path=project_path(output_path),
        profile_name=profile_name, archive=archive, dist_dir=project_path(dist_dir),
        backfill=backfill, incremental=incremental,
        since=since,
    )
    return summary


@flow(name=BACKFILL_FLOW_NAME, log_prints=True)
def backfill_pipeline_flow(  # noqa: PLR0913 - the parameter list is a published contract
    since: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    versions: list[str] | None = None,
    runs: list[dict[str, str]] | None = None,
    archive_root: str = "dist/archive",
    restore_root: str = "dist/backfill",
    archive_pattern: str = "{date:%Y-%m-%d}/hotpass-inputs-{version}.zip",
    profile_name: str = "generic",
    concurrency_limit: int = 2,
    rerun: str = "missing",
    backfill: bool = True,
    incremental: bool = False,
) -> dict[str, Any]:
    """Replay archived input bundles over a window; returns the backfill summary."""
    from hotpass.backfill.flow import backfill_body

    return backfill_body(
        since=since, start_date=start_date, end_date=end_date, versions=versions, runs=runs,
        archive_root=project_path(archive_root), restore_root=project_path(restore_root),
        archive_pattern=archive_pattern,
        profile_name=profile_name, concurrency_limit=concurrency_limit, rerun=rerun,
        backfill=backfill, incremental=incremental,
    )
