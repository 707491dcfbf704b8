"""Ingest: list the inputs, decide which must be read (all, or in an incremental run only the
changed ones), read and normalise them, and reuse the cached records of the others."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from hotpass.fsutil import atomic_write_text, atomic_write_with
from hotpass.refine.inputs import LoadedWorkbook
from hotpass.refine.layout import fill_merged, find_columns, record_rows
from hotpass.refine.model import FILE_PROBLEM, ISSUE_FRAME_SCHEMA, WARNING, SheetStats
from hotpass.refine.privacy import redact
from hotpass.refine.profile import Profile
from hotpass.refine.read import ReadProblem, read_input
from hotpass.refine.records import RecordBuilder

log = logging.getLogger("hotpass.refine")
CACHE_FORMAT = 2


@dataclass
class FileResult:
    source: str
    sha256: str
    records: pl.DataFrame
    issues: pl.DataFrame  # ISSUE_FRAME_SCHEMA
    stats: list[SheetStats] = field(default_factory=list)
    candidate_rows: int = 0
    rejected_rows: int = 0
    from_cache: bool = False


def process_file(path: Path, source: str, sha256: str, builder: RecordBuilder,
                 loaded: LoadedWorkbook | None = None) -> FileResult:
    """Read one input file (or take its `loaded` workbook) and turn every sheet into records
    and issues."""
    tables, problems = read_input(path, source, loaded)
    issues = [_problem_issues(problems)]
    records = [pl.DataFrame(schema=builder.schema)]
    result = FileResult(source=source, sha256=sha256, records=records[0], issues=issues[0])
    for problem in problems:
        log.warning("%s%s: %s", redact(source),
                    f" [{redact(problem.sheet)}]" if problem.sheet else "", problem.reason)
    for table in tables:
        stats = SheetStats(source=source, sheet=table.sheet)
        fill_merged(table)
        columns = find_columns(table, builder.profile)
        stats.header_row = None if columns.header_row is None else columns.header_row + 1
        stats.mapped = {str(c): f for c, f in columns.fields}
        indexes = record_rows(table, columns, stats)
        sheet_records, sheet_issues, rejected = builder.build_sheet(table, columns, indexes)
        stats.records, stats.rejected = sheet_records.height, rejected
        stats.hidden_rows = int(sheet_records["hidden"].sum())
        result.candidate_rows += len(indexes)
        result.rejected_rows += rejected
        records.append(sheet_records)
        issues.append(sheet_issues)
        result.stats.append(stats)
        table.frame = pl.DataFrame()  # release the cells early: files are read one at a time
    result.records, result.issues = pl.concat(records), pl.concat(issues)
    return result


def _problem_issues(problems: list[ReadProblem]) -> pl.DataFrame:
    rows = [{"kind": FILE_PROBLEM if p.fatal else WARNING, "source_file": p.source,
             "source_sheet": p.sheet, "source_row": None, "field": "", "value": "",
             "reason": p.reason, "order": 0} for p in problems]
    return pl.DataFrame(rows, schema=ISSUE_FRAME_SCHEMA)


class RecordCache:
    """Normalised records and issues per input file under `<state_dir>/records/<job key>/`:
    an Arrow IPC file each, and a JSON file (written last) that names them."""

    def __init__(self, state_dir: Path, key: str, profile: Profile) -> None:
        self.folder = state_dir / "records" / key
        self.profile_stamp = f"{profile.source}:{profile.source.stat().st_mtime_ns}"

    def _path(self, source: str, suffix: str) -> Path:
        return self.folder / (hashlib.sha256(source.encode()).hexdigest()[:20] + suffix)

    def load(self, source: str, sha256: str) -> FileResult | None:
        try:
            data = json.loads(self._path(source, ".json").read_text(encoding="utf-8"))
            if data.get("format") != CACHE_FORMAT or data.get("sha256") != sha256 or \
                    data.get("profile") != self.profile_stamp:
                return None
            records = pl.read_ipc(self._path(source, ".records.arrow"))
            issues = pl.read_ipc(self._path(source, ".issues.arrow"))
        except (OSError, ValueError, pl.exceptions.PolarsError):
            return None
        return FileResult(source=source, sha256=sha256, records=records, issues=issues,
                          stats=[SheetStats(**s) for s in data["stats"]],
                          candidate_rows=data["candidate_rows"],
                          rejected_rows=data["rejected_rows"], from_cache=True)

    def save(self, result: FileResult) -> None:
        """The frames first, the JSON that names them last; the old JSON goes before either,
        so a run stopped in between leaves no entry pointing at the wrong frames."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._path(result.source, ".json").unlink(missing_ok=True)
        for frame, suffix in ((result.records, ".records.arrow"),
                              (result.issues, ".issues.arrow")):
            atomic_write_with(self._path(result.source, suffix), frame.write_ipc)
        document = {"format": CACHE_FORMAT, "source": result.source, "sha256": result.sha256,
                    "profile": self.profile_stamp, "stats": [vars(s) for s in result.stats],
                    "candidate_rows": result.candidate_rows,
                    "rejected_rows": result.rejected_rows}
        atomic_write_text(self._path(result.source, ".json"), json.dumps(document))


def modified_after(path: Path, since: datetime) -> bool:
    cutoff = since if since.tzinfo else since.replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC) > cutoff

