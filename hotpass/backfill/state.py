"""The backfill state file `<restore-root>/backfill-<id>.json` (schemas/backfill-state.schema.json).

Saved atomically after every run, so a killed backfill can be resumed: `--rerun missing` (the
default) runs what never finished, `failed` also redoes failures, `all` redoes everything."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotpass.errors import UsageError
from hotpass.fsutil import atomic_write_json

SCHEMA_VERSION = 1
RERUN_RULES = ("missing", "failed", "all")
_RULES = {"missing": ("pending", "running"), "failed": ("pending", "running", "failed"),
          "all": ("pending", "running", "failed", "completed")}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class RunRecord:
    """One (date, version) of a backfill and what happened to it."""

    run_date: str
    version: str
    archive_path: str
    output_path: str
    status: str = "pending"
    attempts: int = 0
    executor: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    records_in: int | None = None
    records_out: int | None = None
    rejected: int | None = None
    error: str | None = None
    flow_run_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.run_date}--{self.version}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BackfillState:
    backfill_id: str
    parameters: dict[str, Any]
    runs: list[RunRecord]
    missing_dates: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "backfill_id": self.backfill_id,
                "created_at": self.created_at, "updated_at": self.updated_at,
                "parameters": self.parameters, "missing_dates": self.missing_dates,
                "runs": [r.to_json() for r in self.runs]}

    def find(self, run_date: str, version: str) -> RunRecord | None:
        return next((r for r in self.runs if r.run_date == run_date and r.version == version),
                    None)


def check_rerun(rule: str) -> str:
    if rule not in RERUN_RULES:
        raise UsageError(f"unknown rerun rule {rule!r}",
                         hint=f"use one of: {', '.join(RERUN_RULES)}")
    return rule


def will_run(record: RunRecord, rule: str) -> bool:
    """Whether `record` runs under the rerun `rule`."""
    return record.status in _RULES[check_rerun(rule)]


def state_path(restore_root: Path, backfill_id: str) -> Path:
    return Path(restore_root) / f"backfill-{backfill_id}.json"


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold `<state>.lock` while a backfill runs, so two processes never drive the same state.

    The lock dies with its process, so a killed backfill can be resumed at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_suffix(".lock")
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise UsageError(f"backfill {path.stem.removeprefix('backfill-')} is already "
                             f"running (pid {holder})",
                             hint="wait for it to finish, or stop it and resume") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_state(state: BackfillState, path: Path) -> None:
    state.updated_at = utc_now()
    atomic_write_json(path, state.to_json())


def load_state(path: Path) -> BackfillState:
    if not path.is_file():
        raise UsageError(f"no backfill state at {path}",
                         hint="check the backfill id and --restore-root (the state file is "
                         "backfill-<id>.json in the restore root)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(RunRecord)}
        runs = [RunRecord(**{k: v for k, v in run.items() if k in known}) for run in data["runs"]]
        return BackfillState(backfill_id=data["backfill_id"], parameters=data["parameters"],
                             runs=runs, missing_dates=list(data.get("missing_dates", [])),
                             created_at=data["created_at"], updated_at=data["updated_at"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"backfill state {path} is unreadable ({exc})",
                         hint="it may have been edited by hand; start a new backfill "
                         "with --rerun all") from None


def find_state(restore_root: Path, backfill_id: str) -> Path:
    """The state file of `backfill_id` (an id or a path to the file itself)."""
    candidate = Path(backfill_id)
    if candidate.suffix == ".json" and candidate.is_file():
        return candidate
    return state_path(restore_root, backfill_id)


def totals(runs: list[RunRecord]) -> dict[str, Any]:
    """Counts per status and summed records/seconds, for the final table."""
    counts = {status: sum(1 for r in runs if r.status == status)
              for status in ("completed", "failed", "pending", "running")}
    return {"runs": len(runs), **counts,
            "records_in": sum(r.records_in or 0 for r in runs),
            "records_out": sum(r.records_out or 0 for r in runs),
            "rejected": sum(r.rejected or 0 for r in runs),
            "seconds": round(sum(r.seconds or 0.0 for r in runs), 3)}
