"""The body of `refinement_pipeline_flow` (hotpass.orchestration): the library's three stages
as Prefect tasks so the UI shows ingest / refine / write (inline in backfill children, see
`run_stages`), returning the JSON summary.

Called from inside a running flow. The checkpoint goes to a Prefect Variable when a Prefect API
is configured (PREFECT_API_URL), to a file under `<dist_dir>/state` otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from hotpass.backfill.slot import backfill_slot
from hotpass.refine.checkpoint import (
    CheckpointStore,
    FileCheckpointStore,
    PrefectVariableCheckpointStore,
)
from hotpass.refine.pipeline import paused_gc, record_run_metrics, stages_inline
from hotpass.refine.request import RefineRequest, RefineResult, parse_since
from hotpass.refine.steps import ingest, refine, write

_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False,
                                 "retries": 0}


class StageData:
    """Hands one stage's output to the next task. Prefect walks dataclass, list and dict
    parameters item by item to find upstream futures; wrapping the (large) stage objects in a
    plain class keeps that walk to one step instead of one per cell."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


@task(name="ingest", **_TASK_OPTIONS)
def ingest_task(request: RefineRequest, checkpoints: CheckpointStore) -> StageData:
    with paused_gc():
        return StageData(ingest(request, checkpoints))


@task(name="refine", **_TASK_OPTIONS)
def refine_task(ingested: StageData) -> StageData:
    with paused_gc():
        return StageData(refine(ingested.value))


@task(name="write", **_TASK_OPTIONS)
def write_task(refined: StageData, checkpoints: CheckpointStore) -> RefineResult:
    with paused_gc():
        return write(refined.value, checkpoints)


def checkpoint_store(state_dir: Path) -> CheckpointStore:
    """A Prefect Variable when the run talks to a server (env or Prefect profile), else a file."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return PrefectVariableCheckpointStore()
    return FileCheckpointStore(state_dir)


def refinement_body(input_dir: str, output_path: str, profile_name: str, archive: bool,  # noqa: PLR0913 - mirrors the flow's published parameters
                    dist_dir: str, backfill: bool, incremental: bool,
                    since: str | None) -> dict[str, Any]:
    """Run ingest → refine → write as tasks; returns the run's JSON summary. A backfill run
    (`backfill=True`) replays inputs as they are: no incremental cache (so no `since`), no new
    archive. `since` without `incremental` raises UsageError."""
    dist = Path(dist_dir)
    cut_off = parse_since(since)
    request = RefineRequest(
        input_dir=Path(input_dir), output_path=Path(output_path), profile=profile_name,
        archive=archive and not backfill, archive_root=dist / "archive",
        incremental=incremental and not backfill, since=None if backfill else cut_off,
        state_dir=dist / "state", run_id=_flow_run_id())
    store = checkpoint_store(request.state_dir)
    with backfill_slot(backfill) as slot:  # a backfill child's work holds the backfill's cap
        started = datetime.now(UTC)
        result = run_stages(request, store, as_tasks=not backfill)
    record_run_metrics(result, (datetime.now(UTC) - started).total_seconds())
    get_run_logger().info(
        "refined %d rows into %d organisations (%d duplicates merged, %d rejected, %d issues); "
        "expectations %s; exit code %d; stages %s", result.records_in, result.records_out,
        result.duplicates_merged, result.rejected, result.issues_count,
        "passed" if result.exit_code == 0 else "FAILED", result.exit_code,
        ", ".join(f"{k.removesuffix('_s')} {v:.2f} s" for k, v in result.timings.items()))
    return {**result.to_json(), "backfill": backfill, **slot.to_json()}


def run_stages(request: RefineRequest, store: CheckpointStore, *, as_tasks: bool
               ) -> RefineResult:
    """ingest -> refine -> write, as task runs (the UI shows each step) or inline. Backfill
    children run them inline: a backfill is many short runs on the same workers, and three task
    runs cost each child ~0.25 s of CPU plus their state changes on the server; the child's log
    line lists each stage's time instead."""
    if as_tasks:
        return write_task(refine_task(ingest_task(request, store)), store)
    return stages_inline(request, store)


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    run_id = flow_run.id
    return str(run_id)[:12] if run_id else None
