"""QA results: one `CheckResult` per check, gathered in a `QaReport` written as JSON
(schemas/qa-report.schema.json). No timestamps inside, so the same inputs give the same bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.fsutil import atomic_write_json
from hotpass.schemas import document_problems

PASS, WARN, FAIL = "pass", "warn", "fail"
STATUSES = (PASS, WARN, FAIL)


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: str  # pass | warn | fail
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "message": self.message,
                "evidence": self.evidence}


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    non_null: int
    nulls: int
    distinct: int
    top_values: list[tuple[str, int]]

    @property
    def null_share(self) -> float:
        total = self.non_null + self.nulls
        return round(self.nulls / total, 4) if total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "non_null": self.non_null, "nulls": self.nulls,
                "null_share": self.null_share, "distinct": self.distinct,
                "top_values": [{"value": v, "count": c} for v, c in self.top_values]}


@dataclass(frozen=True)
class DataProfile:
    source: str
    rows: int
    columns: list[ColumnProfile]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "rows": self.rows,
                "columns": [c.to_json() for c in self.columns]}


@dataclass(frozen=True)
class QaReport:
    suites: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    data_profile: DataProfile | None = None
    output: Path | None = None
    data_docs: Path | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in STATUSES}

    @property
    def status(self) -> str:
        statuses = {c.status for c in self.checks}
        return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS

    @property
    def exit_code(self) -> int:
        return 1 if self.status == FAIL else 0

    def outcome(self) -> dict[str, Any]:
        """The QA part of a bundle's summary.json: status, counts, report path, check verdicts."""
        return {"status": self.status, "checks": self.counts,
                "report": self.output.as_posix() if self.output else None,
                "outcomes": [{"id": c.id, "status": c.status} for c in self.checks]}

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "suites": list(self.suites), "counts": self.counts,
                "checks": [c.to_json() for c in self.checks],
                "data_profile": self.data_profile.to_json() if self.data_profile else None,
                "output": self.output.as_posix() if self.output else None,
                "data_docs": self.data_docs.as_posix() if self.data_docs else None}


def report_document(report: QaReport) -> dict[str, Any]:
    """The JSON written to qa-report.json (the output paths are where it was written, so left
    out: the document describes the checks, not where it lives)."""
    document = report.to_json()
    del document["output"]
    return document


def validate_report(document: dict[str, Any]) -> None:
    problems = document_problems("qa-report", document)
    if problems:
        raise HotpassError("qa report does not match schemas/qa-report.schema.json:\n  " +
                           "\n  ".join(problems))


def write_report(path: Path, report: QaReport) -> Path:
    document = report_document(report)
    validate_report(document)
    return atomic_write_json(path, document)
