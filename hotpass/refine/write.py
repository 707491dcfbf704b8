"""The one module that knows the output engines: rustpy-xlsxwriter for .xlsx, the csv module for
.csv, pyarrow (when installed) for .parquet. Every output is written to a temp file beside the
target and renamed over it, so a reader never sees half a workbook."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hotpass.errors import UsageError
from hotpass.fsutil import atomic_write_text, temp_path_beside
from hotpass.refine.privacy import redact

OUTPUT_SUFFIXES = (".xlsx", ".csv", ".parquet")
ISSUE_COLUMNS = ["kind", "source_file", "source_sheet", "source_row", "field", "value", "reason"]
SUMMARY_COLUMNS = ["section", "item", "value"]

Rows = Sequence[dict[str, Any]]


class IssueRows(Sequence[dict[str, Any]]):
    """Issues as output rows, made one at a time while the writer consumes them (a million
    issue dicts at once would cost more memory than the issues themselves)."""

    def __init__(self, issues: Sequence[Any]) -> None:
        self.issues = issues

    def __len__(self) -> int:
        return len(self.issues)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [issue.to_row() for issue in self.issues[index]]
        return self.issues[index].to_row()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (issue.to_row() for issue in self.issues)


def check_output_path(path: Path) -> None:
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError(f"output path {redact(path)} must end in " + ", ".join(OUTPUT_SUFFIXES),
                         hint="for example --output-path dist/refined.xlsx")
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise UsageError("writing .parquet needs pyarrow, which is not installed",
                             hint="install the `bench` extra or write .xlsx / .csv") from None


def write_output(path: Path, columns: list[str], refined: Rows, issues: Rows,
                 summary: Rows) -> list[Path]:
    """Write the refined table (and, for .csv/.parquet, the issues beside it); returns paths."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(path, [("refined", columns, refined), ("issues", ISSUE_COLUMNS, issues),
                           ("summary", SUMMARY_COLUMNS, summary)])
        return [path]
    issues_path = path.with_name(f"{path.stem}-issues{path.suffix}")
    writer = _write_csv if suffix == ".csv" else _write_parquet
    writer(path, columns, refined)
    writer(issues_path, ISSUE_COLUMNS, issues)
    return [path, issues_path]


def _write_xlsx(path: Path, sheets: list[tuple[str, list[str], Rows]]) -> None:
    import rustpy_xlsxwriter

    entries: list[tuple[str, Any]] = [
        (name, iter(rows) if len(rows) else [dict.fromkeys(columns, "")])
               for name, columns, rows in sheets]
    tmp = temp_path_beside(path)
    try:
        rustpy_xlsxwriter.write_worksheets(entries, str(tmp), freeze_panes={
            "general": {"row": 1, "col": 0}}, bold_headers=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_csv(path: Path, columns: list[str], rows: Rows) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def _write_parquet(path: Path, columns: list[str], rows: Rows) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    table = pa.table({c: [_plain(r.get(c, "")) for r in rows] for c in columns})
    tmp = temp_path_beside(path)
    try:
        pq.write_table(table, str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _plain(value: Any) -> str:
    return "" if value is None else str(value)
