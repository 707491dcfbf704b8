"""Backfills through a real Prefect server and two process workers (integration)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from hotpass.backfill.plan import BackfillRequest
from hotpass.backfill.prefect_fanout import GLOBAL_LIMIT, PrefectTarget, engine_command
from hotpass.backfill.run import BackfillEvent, run_backfill
from tests.backfill.zips import good_zip

pytestmark = pytest.mark.integration

HEADER = "organization_name,contact_name,contact_email,contact_phone,website,province\n"


def _archives(root: Path, days: int, last_day_rows: int = 3) -> None:
    for day in range(1, days + 1):
        count = last_day_rows if day == days else 3
        rows = "".join(f"Org {day}-{n} Aviation,Pat {n},ops{n}@org{day}.example,"
                       f"+27 11 555 {100 + n % 9900:04d},org{day}.example,Gauteng\n"
                       for n in range(count))
        good_zip(root / f"2024-03-{day:02d}" / "hotpass-inputs-v1.zip", {"a.csv": HEADER + rows})


def _register(api_url: str, pool: str, name: str) -> str:
    from prefect.deployments.runner import EntrypointType, RunnerDeployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from hotpass.orchestration import REFINEMENT_FLOW_NAME, refinement_pipeline_flow

    deployment = RunnerDeployment.from_flow(
        refinement_pipeline_flow, name=name, entrypoint_type=EntrypointType.MODULE_PATH,
        version_type="prefect:simple", work_pool_name=pool)
    with temporary_settings({PREFECT_API_URL: api_url}):
        deployment.apply()
    return f"{REFINEMENT_FLOW_NAME}/{name}"


@pytest.fixture(scope="module")
def two_workers(prefect_server: Any, prefect_worker: Any,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session worker plus a second process worker on the same pool; yields the pool.
    Their engine servers' logs are in ENGINE_LOGS."""
    from hotpass.prefect_local.worker import start_worker, stop_worker

    second = start_worker(prefect_server.api_url, prefect_worker.pool, limit=4,
                          home=tmp_path_factory.mktemp("second-worker"),
                          cwd=tmp_path_factory.mktemp("second-worker-cwd"), timeout=120)
    ENGINE_LOGS[:] = [prefect_worker.engine_log_path, second.engine_log_path]
    try:
        yield str(prefect_worker.pool)
    finally:
        stop_worker(second)


ENGINE_LOGS: list[Path] = []


def _request(tmp_path: Path, target: PrefectTarget, days: int, **extra: Any) -> BackfillRequest:
    return BackfillRequest(start_date=date(2024, 3, 1), end_date=date(2024, 3, days),
                           archive_root=tmp_path / "archive", restore_root=tmp_path / "restore",
                           concurrency=2, via_prefect=True, prefect=target, **extra)


def _flow_runs(api_url: str, backfill_id: str) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    from hotpass.prefect_local.client import prefect_client

    with prefect_client(api_url) as client:
        return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=[f"backfill:{backfill_id}"])), limit=200))


def _max_overlap(records: list[Any]) -> int:
    """Runs in flight at once, from the times each child held its `hotpass:backfill` slot
    (the state file's start/end); a run ending as another starts does not overlap it."""
    edges = sorted([(datetime.fromisoformat(r.started_at), 1) for r in records]
                   + [(datetime.fromisoformat(r.finished_at), -1) for r in records])
    current = peak = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def _refined_cells(path: str) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(path)
    rows: list[list[Any]] = workbook.get_sheet_by_name("refined").to_python()
    return rows


def test_eight_runs_via_prefect_never_exceed_the_concurrency(prefect_server: Any,
                                                              two_workers: str,
                                                              tmp_path: Path) -> None:
    from prefect import flow
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from hotpass.backfill.slot import LABEL_FINISHED, LABEL_STARTED

    _archives(tmp_path / "archive", 8)
    name = _register(prefect_server.api_url, two_workers, f"bf-{uuid.uuid4().hex[:8]}")
    target = PrefectTarget(api_url=prefect_server.api_url, deployment=name, run_timeout=300)
    results: list[Any] = []

    @flow(name="test-backfill-parent")
    def parent() -> None:  # children submitted from a flow run are linked to it
        results.append(run_backfill(_request(tmp_path, target, 8)))

    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        parent_state = parent(return_state=True)
    result = results[0]

    assert result.executor == "prefect"
    assert [r.status for r in result.runs] == ["completed"] * 8, [r.error for r in result.runs]
    assert all(r.records_out == 3 and r.flow_run_id for r in result.runs)
    runs = {str(r.id): r for r in _flow_runs(prefect_server.api_url, result.backfill_id)}
    assert len(runs) == 8 and all(r.state.is_completed() for r in runs.values())
    for record in result.runs:  # the state's times are the slot-held times the child recorded
        labels = runs[str(record.flow_run_id)].labels
        assert (labels[LABEL_STARTED], labels[LABEL_FINISHED]) == (record.started_at,
                                                                   record.finished_at)
    assert 1 <= _max_overlap(result.runs) <= 2
    # the worker started each child's engine directly, with no workspace supervisor before it,
    # forked from its preloaded engine server
    assert {r.job_variables.get("command") for r in runs.values()} == {engine_command()}
    forked = "".join(log.read_text(encoding="utf-8") for log in ENGINE_LOGS)
    assert all(f"flow run {run_id}: forked as pid" in forked for run_id in runs)
    keys = sorted(r.idempotency_key for r in runs.values())
    assert keys[0] == f"{result.backfill_id}/2024-03-01/v1"
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
    )

    from hotpass.prefect_local.client import prefect_client

    with prefect_client(prefect_server.api_url) as client:
        assert client.read_global_concurrency_limit_by_name(GLOBAL_LIMIT).limit == 2
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(
                any_=[parent_state.state_details.flow_run_id])))
        stage_task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[r.id for r in children])))
    assert {str(r.id) for r in children} == set(runs)
    assert stage_task_runs == []  # children run ingest/refine/write inline (refine.flow)


def test_killed_backfill_resumes_only_the_remaining_runs(prefect_server: Any, two_workers: str,
                                                        tmp_path: Path) -> None:
    # A long last day keeps one run in flight after others complete: the moment to kill at.
    _archives(tmp_path / "archive", 4, last_day_rows=60_000)
    name = _register(prefect_server.api_url, two_workers, f"bf-{uuid.uuid4().hex[:8]}")
    argv = [sys.executable, "-m", "hotpass.cli", "backfill", "--start-date", "2024-03-01",
            "--end-date", "2024-03-04", "--archive-root", str(tmp_path / "archive"),
            "--restore-root", str(tmp_path / "restore"), "--concurrency", "2",
            "--via-prefect", "--api-url", prefect_server.api_url, "--deployment", name, "--json"]
    first = subprocess.Popen(argv, env={**os.environ, **prefect_server.env},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_file = _wait_for_kill_point(tmp_path / "restore", first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    before = json.loads(state_file.read_text())
    done_before = {r["run_date"]: r for r in before["runs"] if r["status"] == "completed"}
    in_flight = {r["run_date"]: r["flow_run_id"] for r in before["runs"]
                 if r["status"] == "running" and r["flow_run_id"]}
    assert 1 <= len(done_before) < 4 and in_flight

    target = PrefectTarget(api_url=prefect_server.api_url, deployment=name, run_timeout=300)
    events: list[BackfillEvent] = []
    resumed = run_backfill(_request(tmp_path, target, 4, resume_id=before["backfill_id"]),
                           events.append)

    assert [r.status for r in resumed.runs] == ["completed"] * 4, [r.error for r in resumed.runs]
    assert set(resumed.ran) == {f"{d}--v1" for d in
                                ("2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04")
                                if d not in done_before}
    for record in resumed.runs:
        if record.run_date in done_before:  # untouched by the resume
            assert record.finished_at == done_before[record.run_date]["finished_at"]
    runs = _flow_runs(prefect_server.api_url, resumed.backfill_id)
    assert len(runs) == 4  # a run submitted before the kill was re-attached, not resubmitted
    for record in resumed.runs:
        if record.run_date in in_flight:
            assert record.flow_run_id == in_flight[record.run_date]
    assert all(r.started_at and r.finished_at for r in resumed.runs)

    reference = run_backfill(BackfillRequest(
        start_date=date(2024, 3, 1), end_date=date(2024, 3, 4),
        archive_root=tmp_path / "archive", restore_root=tmp_path / "reference", concurrency=1))
    for resumed_run, reference_run in zip(resumed.runs, reference.runs, strict=True):
        assert _refined_cells(resumed_run.output_path) == _refined_cells(
            reference_run.output_path)


def _wait_for_kill_point(restore_root: Path, process: subprocess.Popen[bytes]) -> Path:
    """The state file once one run has completed while another is in flight on a worker."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        for path in restore_root.glob("backfill-*.json"):
            try:
                runs = json.loads(path.read_text())["runs"]
            except (ValueError, KeyError):
                continue
            if (any(r["status"] == "completed" for r in runs)
                    and any(r["status"] == "running" and r["flow_run_id"] for r in runs)):
                return path
        assert process.poll() is None, "the backfill ended before it could be killed"
        time.sleep(0.05)
    raise AssertionError("never saw one run completed and another in flight")


def test_no_worker_online_falls_back_to_local_runs_with_a_warning(prefect_server: Any,
                                                                  tmp_path: Path) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate

    from hotpass.prefect_local.client import prefect_client

    pool = f"empty-{uuid.uuid4().hex[:8]}"
    with prefect_client(prefect_server.api_url) as client:
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    name = _register(prefect_server.api_url, pool, f"bf-{uuid.uuid4().hex[:8]}")
    _archives(tmp_path / "archive", 2)
    events: list[BackfillEvent] = []
    target = PrefectTarget(api_url=prefect_server.api_url, deployment=name)
    result = run_backfill(_request(tmp_path, target, 2), events.append)

    assert result.executor == "local"
    assert [r.status for r in result.runs] == ["completed", "completed"]
    assert all(r.executor == "local" for r in result.runs)
    warnings = [e.message for e in events if e.kind == "warning"]
    assert len(warnings) == 1 and f"no worker is online in work pool {pool!r}" in warnings[0]
    assert "locally" in warnings[0]
    assert _flow_runs(prefect_server.api_url, result.backfill_id) == []

    # a run submitted before an interruption, still waiting for a worker, is cancelled when the
    # resumed backfill redoes it locally, so a worker coming back cannot run it a second time
    from uuid import UUID

    from hotpass.backfill.state import load_state, save_state

    state = load_state(result.state_path)
    with prefect_client(prefect_server.api_url) as client:
        deployment = client.read_deployment_by_name(name)
        orphan = client.create_flow_run_from_deployment(deployment.id, parameters={})
        state.runs[0].status, state.runs[0].flow_run_id = "running", str(orphan.id)
        save_state(state, result.state_path)
        events.clear()
        resumed = run_backfill(_request(tmp_path, target, 2, resume_id=result.backfill_id),
                               events.append)
        assert resumed.ran == ["2024-03-01--v1"] and resumed.runs[0].status == "completed"
        orphan_state = client.read_flow_run(UUID(str(orphan.id))).state
    assert orphan_state is not None and orphan_state.is_cancelled()
    assert any("cancelled 1 child run" in e.message for e in events if e.kind == "warning")
