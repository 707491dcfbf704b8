"""Run a backfill: select runs by the rerun rule, execute them (local pool or Prefect child
runs, falling back to local with a warning when no worker is online), save the state after
every run, and return the result. Progress is reported through `on_event`; nothing is printed."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.backfill import metrics, prefect_fanout, recovery
from hotpass.backfill.local import RunOne, run_local
from hotpass.backfill.plan import BackfillRequest, build_state, state_file
from hotpass.backfill.runs import RunOutcome, RunSpec
from hotpass.backfill.state import (
    BackfillState,
    RunRecord,
    exclusive,
    find_state,
    save_state,
    totals,
    will_run,
)
from hotpass.errors import EXIT_FAILED, EXIT_OK


@dataclass(frozen=True)
class BackfillEvent:
    """`start` (total, executor), `warning` (message) or `run` (a finished run's record)."""

    kind: str
    message: str = ""
    total: int = 0
    record: RunRecord | None = None


OnEvent = Callable[[BackfillEvent], None]


@dataclass
class BackfillResult:
    backfill_id: str
    state_path: Path
    executor: str
    ran: list[str]
    runs: list[RunRecord]
    missing_dates: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if any(r.status == "failed" for r in self.runs) else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {"backfill_id": self.backfill_id, "state_path": str(self.state_path),
                "executor": self.executor, "ran": self.ran, "warnings": self.warnings,
                "missing_dates": self.missing_dates, "totals": totals(self.runs),
                "runs": [r.to_json() for r in self.runs], "exit_code": self.exit_code}


def run_backfill(request: BackfillRequest, on_event: OnEvent | None = None, *,
                 run_one: RunOne | None = None) -> BackfillResult:
    """Run (or continue) the backfill `request` describes; `run_one` replaces local execution."""
    path = state_file(request)
    seen = _saved(path)
    state, _, _ = build_state(request)  # errors surface before the lock file is made
    recorder = metrics.metrics_from_environment(os.environ)
    try:
        with exclusive(path):
            if _saved(path) != seen:  # saved meanwhile: read it again
                state, _, _ = build_state(request)
            tracker = _Tracker(state, path, on_event or (lambda event: None), recorder)
            return _run(request, state, path, tracker, run_one)
    finally:
        recorder.shutdown()


def _saved(path: Path) -> bytes | None:
    """The state file as saved now (None: none yet), to tell whether another process saved it
    between `build_state` reading it and the lock being taken."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _run(request: BackfillRequest, state: BackfillState, path: Path, tracker: _Tracker,
         run_one: RunOne | None) -> BackfillResult:
    emit = tracker.emit
    selected = [r for r in state.runs if will_run(r, request.rerun)]
    result = BackfillResult(state.backfill_id, path, "local", [r.label for r in selected],
                            state.runs, state.missing_dates)
    # before anything is written: an unreachable server (exit 3) leaves the state as it was
    fanout = _choose_executor(request, selected, result, emit)
    executor = result.executor = "local" if fanout is None else "prefect"
    for record in selected:
        _begin(record)
    save_state(state, path)
    specs = [_spec(state, record) for record in selected]
    emit(BackfillEvent("start", message=executor, total=len(specs)))
    if fanout is not None:
        prefect_fanout.run_via_prefect(
            specs, target=request.prefect, fanout=fanout,
            concurrency=request.concurrency, on_outcome=tracker.finished,
            hooks=prefect_fanout.Hooks(submitted=tracker.submitted))
    else:
        run_local(specs, concurrency=request.concurrency, on_outcome=tracker.finished,
                  **({"run_one": run_one} if run_one else {}))
    return result


def _choose_executor(request: BackfillRequest, selected: list[RunRecord],
                     result: BackfillResult, emit: OnEvent) -> prefect_fanout.Fanout | None:
    """The child runs' deployment and pool when the backfill runs via Prefect, else None."""
    if not (request.via_prefect and selected):
        return None
    try:
        return prefect_fanout.prepare(request.prefect, request.concurrency)
    except prefect_fanout.NoWorkersOnline as exc:
        message = f"{exc.message}: running the backfill locally instead (process pool)"
        result.warnings.append(message)
        emit(BackfillEvent("warning", message=message))
        _cancel_orphans(request, selected, result, emit)
        return None


def _cancel_orphans(request: BackfillRequest, selected: list[RunRecord],
                    result: BackfillResult, emit: OnEvent) -> None:
    submitted = [r for r in selected if r.flow_run_id]
    cancelled = recovery.cancel_unfinished(request.prefect,
                                           [str(r.flow_run_id) for r in submitted])
    for record in submitted:
        record.flow_run_id = None
    if cancelled:
        message = (f"cancelled {len(cancelled)} child run(s) submitted before the interruption; "
                   "they run locally now")
        result.warnings.append(message)
        emit(BackfillEvent("warning", message=message))


def _begin(record: RunRecord) -> None:
    """Mark a selected run as running; a deliberate re-run of a finished one is a new attempt."""
    if record.status in ("completed", "failed"):
        record.attempts += 1
        record.flow_run_id = record.error = None
        record.records_in = record.records_out = record.rejected = None
        record.started_at = record.finished_at = record.seconds = None
    record.attempts = max(record.attempts, 1)
    record.status = "running"


def _spec(state: BackfillState, record: RunRecord) -> RunSpec:
    params, restore_root = state.parameters, Path(state.parameters["restore_root"])
    return RunSpec(
        backfill_id=state.backfill_id, run_date=record.run_date, version=record.version,
        archive_path=record.archive_path, restore_dir=str(restore_root / record.label),
        output_path=record.output_path, profile_name=params["profile"],
        attempt=record.attempts, archive=bool(params.get("archive")),
        rebundle_root=str(restore_root / "archive"),
        max_extract_bytes=int(params["max_extract_bytes"]), flow_run_id=record.flow_run_id)


class _Tracker:
    """Applies outcomes to the state and saves it after every run (threads call `submitted`)."""

    def __init__(self, state: BackfillState, path: Path, emit: OnEvent,
                 recorder: metrics.BackfillMetrics) -> None:
        self._state, self._path, self.emit, self._metrics = state, path, emit, recorder
        self._lock = threading.Lock()

    def submitted(self, spec: RunSpec, flow_run_id: str) -> None:
        with self._lock:
            record = self._record(spec.run_date, spec.version)
            record.flow_run_id = flow_run_id
            record.executor = "prefect"
            save_state(self._state, self._path)

    def finished(self, outcome: RunOutcome) -> None:
        with self._lock:
            record = self._record(outcome.run_date, outcome.version)
            for name in ("status", "started_at", "finished_at", "seconds", "executor",
                         "records_in", "records_out", "rejected", "error"):
                setattr(record, name, getattr(outcome, name))
            record.flow_run_id = outcome.flow_run_id or record.flow_run_id
            save_state(self._state, self._path)
        self._metrics.record_run(self._state.backfill_id, outcome)
        self.emit(BackfillEvent("run", record=record))

    def _record(self, run_date: str, version: str) -> RunRecord:
        record = self._state.find(run_date, version)
        if record is None:  # an outcome always belongs to a selected run
            raise LookupError(f"{run_date}--{version} is not in backfill {self._state.backfill_id}")
        return record


def load_status(restore_root: Path, backfill_id: str) -> BackfillResult:
    """The saved state of a backfill, shaped as a result (for `invoke backfill.status`)."""
    from hotpass.backfill.state import load_state

    path = find_state(restore_root, backfill_id)
    state = load_state(path)
    executors = sorted({r.executor for r in state.runs if r.executor})
    return BackfillResult(state.backfill_id, path, "+".join(executors) or "-", [],
                          state.runs, state.missing_dates)
