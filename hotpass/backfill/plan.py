"""Turn a backfill request into its state (which runs exist, where their archives are) and a
plan (which of them run under the rerun rule). Nothing here writes a file."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from hotpass.backfill import window
from hotpass.backfill.extract import DEFAULT_MAX_BYTES
from hotpass.backfill.prefect_fanout import PrefectTarget
from hotpass.backfill.state import (
    BackfillState,
    RunRecord,
    check_rerun,
    find_state,
    load_state,
    state_path,
    will_run,
)
from hotpass.errors import UsageError

DEFAULT_ARCHIVE_ROOT = "dist/archive"
DEFAULT_RESTORE_ROOT = "dist/backfill"
DEFAULT_PROFILE = "generic"
DEFAULT_CONCURRENCY = 2


@dataclass(frozen=True)
class BackfillRequest:
    """Everything a backfill needs; paths are used as given (relative to the working dir)."""

    start_date: date | None = None
    end_date: date | None = None
    versions: tuple[str, ...] = ()
    runs: tuple[window.RunKey, ...] = ()
    archive_root: Path = Path(DEFAULT_ARCHIVE_ROOT)
    restore_root: Path = Path(DEFAULT_RESTORE_ROOT)
    archive_pattern: str = window.DEFAULT_PATTERN
    profile: str = DEFAULT_PROFILE
    concurrency: int = DEFAULT_CONCURRENCY
    rerun: str = "missing"
    archive: bool = False
    via_prefect: bool = False
    prefect: PrefectTarget = field(default_factory=PrefectTarget)
    max_extract_bytes: int = DEFAULT_MAX_BYTES
    resume_id: str | None = None

    def check(self) -> None:
        check_rerun(self.rerun)
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be at least 1, got {self.concurrency}",
                             hint="pass --concurrency 1 for a sequential replay")
        if self.max_extract_bytes < 1:
            raise UsageError("the extraction size limit must be a positive number of bytes")


@dataclass
class PlanItem:
    record: RunRecord
    archive_exists: bool
    will_run: bool

    def to_json(self) -> dict[str, Any]:
        return {"run_date": self.record.run_date, "version": self.record.version,
                "archive_path": self.record.archive_path, "archive_exists": self.archive_exists,
                "previous_status": self.record.status, "will_run": self.will_run}


@dataclass
class BackfillPlan:
    backfill_id: str
    state_path: Path
    resumed: bool
    rerun: str
    items: list[PlanItem]
    missing_dates: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"backfill_id": self.backfill_id, "state_path": str(self.state_path),
                "resumed": self.resumed, "rerun": self.rerun, "dry_run": True,
                "will_run": sum(1 for i in self.items if i.will_run),
                "missing_archives": sum(1 for i in self.items if not i.archive_exists),
                "missing_dates": self.missing_dates, "runs": [i.to_json() for i in self.items]}


def build_state(request: BackfillRequest) -> tuple[BackfillState, Path, bool]:
    """The state this request continues (resumed=True) or starts; nothing is written."""
    request.check()
    path = state_file(request)
    if request.resume_id:
        return load_state(path), path, True
    keys, missing_dates = _keys(request)
    backfill_id = derive_id(request)
    state = load_state(path) if path.is_file() else None
    resumed = state is not None
    if state is None:
        state = BackfillState(backfill_id=backfill_id, parameters=_parameters(request), runs=[])
    state.missing_dates = missing_dates
    for key in keys:
        if state.find(key.run_date.isoformat(), key.version) is None:
            state.runs.append(_record(request, key))
    state.runs.sort(key=lambda r: (r.run_date, window.natural_key(r.version)))
    return state, path, resumed


def plan(request: BackfillRequest) -> BackfillPlan:
    state, path, resumed = build_state(request)
    items = [PlanItem(r, Path(r.archive_path).is_file(), will_run(r, request.rerun))
             for r in state.runs]
    return BackfillPlan(state.backfill_id, path, resumed, request.rerun, items,
                        state.missing_dates)


def _keys(request: BackfillRequest) -> tuple[list[window.RunKey], list[str]]:
    if request.runs:
        return sorted(set(request.runs)), []
    if request.start_date is None or request.end_date is None:
        raise UsageError("the backfill window needs a start and an end date",
                         hint="pass --start-date and --end-date, or --resume ID")
    dates = window.window_dates(request.start_date, request.end_date)
    if request.versions:
        return list(window.expand(dates, request.versions)), []
    keys: list[window.RunKey] = []
    missing: list[str] = []
    for day in dates:
        found = window.discover_versions(request.archive_root, request.archive_pattern, day)
        keys.extend(window.RunKey(day, v) for v in found)
        if not found:
            missing.append(day.isoformat())
    return keys, missing


def state_file(request: BackfillRequest) -> Path:
    """Where the state of the backfill `request` describes is kept (found, for a resume); no
    archive is looked at, nothing is written."""
    if request.resume_id:
        return find_state(request.restore_root, request.resume_id)
    return state_path(request.restore_root, derive_id(request))


def derive_id(request: BackfillRequest) -> str:
    """A stable id: the same window (or runs), versions, pattern and profile continue the same
    backfill."""
    first = request.start_date or min((k.run_date for k in request.runs), default=None)
    last = request.end_date or max((k.run_date for k in request.runs), default=None)
    identity = {"start": str(request.start_date), "end": str(request.end_date),
                "versions": sorted(request.versions) or "*",
                "runs": [k.label for k in sorted(set(request.runs))],
                "pattern": request.archive_pattern, "profile": request.profile,
                "archive_root": os.path.abspath(request.archive_root)}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
    span = "-".join(d.strftime("%Y%m%d") for d in (first, last) if d is not None)
    return f"bf-{span}-{digest}"


def _parameters(request: BackfillRequest) -> dict[str, Any]:
    return {"start_date": str(request.start_date) if request.start_date else None,
            "end_date": str(request.end_date) if request.end_date else None,
            "versions": list(request.versions),
            # absolute: child runs on workers and later resumes may have another working dir
            "archive_root": os.path.abspath(request.archive_root),
            "restore_root": os.path.abspath(request.restore_root),
            "archive_pattern": request.archive_pattern, "profile": request.profile,
            "archive": request.archive, "max_extract_bytes": request.max_extract_bytes}


def _record(request: BackfillRequest, key: window.RunKey) -> RunRecord:
    archive = window.archive_path(request.archive_root, request.archive_pattern, key)
    output = Path(os.path.abspath(request.restore_root)) / "outputs" / f"refined-{key.label}.xlsx"
    return RunRecord(run_date=key.run_date.isoformat(), version=key.version,
                     archive_path=str(archive), output_path=str(output))
