"""Ingest: list the inputs, decide which must be read (all, or in an incremental run only the
changed ones), read and normalise them, and reuse the cached records of the others."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotpass.fsutil import atomic_write_text
from hotpass.refine.layout import fill_merged, find_columns, record_rows
from hotpass.refine.model import FILE_PROBLEM, WARNING, Issue, Record, SheetStats
from hotpass.refine.privacy import redact
from hotpass.refine.profile import Profile
from hotpass.refine.read import read_input
from hotpass.refine.records import RecordBuilder

log = logging.getLogger("hotpass.refine")
CACHE_FORMAT = 1


@dataclass
class FileResult:
    source: str
    sha256: str
    records: list[Record] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    stats: list[SheetStats] = field(default_factory=list)
    candidate_rows: int = 0
    rejected_rows: int = 0
    from_cache: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"format": CACHE_FORMAT, "source": self.source, "sha256": self.sha256,
                "records": [r.to_json() for r in self.records],
                "issues": [list(_issue_tuple(i)) for i in self.issues],
                "stats": [vars(s) for s in self.stats], "candidate_rows": self.candidate_rows,
                "rejected_rows": self.rejected_rows}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileResult:
        return cls(source=data["source"], sha256=data["sha256"],
                   records=[Record.from_json(r) for r in data["records"]],
                   issues=[Issue(*i) for i in data["issues"]],
                   stats=[SheetStats(**s) for s in data["stats"]],
                   candidate_rows=data["candidate_rows"], rejected_rows=data["rejected_rows"],
                   from_cache=True)


def _issue_tuple(issue: Issue) -> tuple[Any, ...]:
    return (issue.source, issue.sheet, issue.row, issue.field, issue.value, issue.reason,
            issue.kind)


def process_file(path: Path, source: str, sha256: str, builder: RecordBuilder) -> FileResult:
    """Read one input file and turn every sheet into records and issues."""
    result = FileResult(source=source, sha256=sha256)
    tables, problems = read_input(path, source)
    for problem in problems:
        kind = FILE_PROBLEM if problem.fatal else WARNING
        result.issues.append(Issue(problem.source, problem.sheet, None, "", "", problem.reason,
                                   kind))
        log.warning("%s%s: %s", redact(source),
                    f" [{redact(problem.sheet)}]" if problem.sheet else "", problem.reason)
    for table in tables:
        stats = SheetStats(source=source, sheet=table.sheet)
        fill_merged(table)
        columns = find_columns(table, builder.profile)
        stats.header_row = None if columns.header_row is None else columns.header_row + 1
        stats.mapped = {str(c): f for c, f in columns.fields}
        indexes = record_rows(table, columns, stats)
        records, rejected = builder.build_sheet(table, columns, indexes, result.issues)
        stats.records, stats.rejected = len(records), rejected
        stats.hidden_rows = sum(1 for r in records if r.hidden)
        result.candidate_rows += len(indexes)
        result.rejected_rows += rejected
        result.records.extend(records)
        result.stats.append(stats)
        table.rows = []  # release the cells early: large inputs are read one file at a time
    return result


class RecordCache:
    """Normalised records per input file under `<state_dir>/records/<job key>/`."""

    def __init__(self, state_dir: Path, key: str, profile: Profile) -> None:
        self.folder = state_dir / "records" / key
        self.profile_stamp = f"{profile.source}:{profile.source.stat().st_mtime_ns}"

    def _path(self, source: str) -> Path:
        return self.folder / (hashlib.sha256(source.encode()).hexdigest()[:20] + ".json")

    def load(self, source: str, sha256: str) -> FileResult | None:
        try:
            data = json.loads(self._path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("format") != CACHE_FORMAT or data.get("sha256") != sha256 or \
                data.get("profile") != self.profile_stamp:
            return None
        return FileResult.from_json(data)

    def save(self, result: FileResult) -> None:
        document = {**result.to_json(), "profile": self.profile_stamp}
        atomic_write_text(self._path(result.source), json.dumps(document))


def modified_after(path: Path, since: datetime) -> bool:
    cutoff = since if since.tzinfo else since.replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC) > cutoff

