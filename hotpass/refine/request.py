"""What a refinement is asked to do and what it reports: plain data, importable without the
engine (polars), so a run can start reading its inputs while the engine loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotpass.errors import UsageError


def parse_since(since: str | None) -> datetime | None:
    """An ISO date or date-time (UTC when it names no zone); None or "" means no cut-off."""
    if since in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(str(since))
    except ValueError:
        raise UsageError(f"since {since!r} is not an ISO date or time",
                         hint="use e.g. 2026-01-31 or 2026-01-31T06:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RefineRequest:
    """What to refine; raises UsageError when the options contradict each other."""

    input_dir: Path
    output_path: Path
    profile: str = "generic"  # a built-in name or the path of a YAML profile
    archive: bool = False
    archive_root: Path = Path("dist/archive")
    incremental: bool = False
    since: datetime | None = None
    state_dir: Path = Path("dist/state")
    run_id: str | None = None

    def __post_init__(self) -> None:
        if self.since is not None and not self.incremental:
            raise UsageError("--since only applies to an incremental run",
                             hint="add --incremental, or drop --since for a full run")


@dataclass
class RefineResult:
    run_id: str
    profile: str
    records_in: int
    records_out: int
    rejected: int
    duplicates_merged: int
    expectations: list[dict[str, Any]]
    output_path: Path
    archive_path: Path | None
    inputs: list[dict[str, Any]]
    issues_count: int
    timings: dict[str, float]
    exit_code: int
    outputs: list[Path] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    incremental: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "profile": self.profile, "records_in": self.records_in,
            "records_out": self.records_out, "rejected": self.rejected,
            "duplicates_merged": self.duplicates_merged, "issues_count": self.issues_count,
            "expectations": self.expectations, "output_path": str(self.output_path),
            "outputs": [str(p) for p in self.outputs],
            "archive_path": str(self.archive_path) if self.archive_path else None,
            "inputs": self.inputs, "files_read": self.files_read, "problems": self.problems,
            "incremental": self.incremental, "timings": self.timings,
            "exit_code": self.exit_code,
        }
