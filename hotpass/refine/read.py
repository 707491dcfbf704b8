"""The one module that knows the input engines: python-calamine for .xlsx/.xlsm/.xls/.ods
(plus the sheet-XML scan in xlsxmeta for hidden rows and formulas), the csv module for .csv.

Files that cannot be read (corrupt, password-protected, unknown encoding) and empty sheets
become `ReadProblem`s; the run goes on with the rest.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.refine.xlsxmeta import SheetMeta, read_sheet_meta

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
INPUT_SUFFIXES = (*SPREADSHEET_SUFFIXES, ".csv")
CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


@dataclass
class SheetTable:
    """One sheet's cells; `rows[i]` is sheet row i+1 (absolute, so provenance rows match Excel)."""

    source: str  # file path relative to the input folder
    sheet: str
    rows: list[list[Any]]
    hidden_rows: frozenset[int] = frozenset()
    formula_cells: dict[int, frozenset[int]] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class ReadProblem:
    source: str
    sheet: str
    reason: str
    fatal: bool  # True: nothing could be read from the file


def list_inputs(input_dir: Path) -> list[Path]:
    """Every input file under `input_dir`, sorted; lock files (~$x.xlsx) and dotfiles skipped."""
    return sorted(p for p in input_dir.rglob("*")
                  if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES
                  and not p.name.startswith(("~$", ".")))


def read_input(path: Path, source: str) -> tuple[list[SheetTable], list[ReadProblem]]:
    if path.suffix.lower() == ".csv":
        return _read_csv(path, source)
    return _read_workbook(path, source)


def _read_workbook(path: Path, source: str) -> tuple[list[SheetTable], list[ReadProblem]]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - every engine failure is a per-file problem
        return [], [ReadProblem(source, "", _describe_open_failure(path, exc), fatal=True)]
    meta = read_sheet_meta(path) if path.suffix.lower() in (".xlsx", ".xlsm") else {}
    tables: list[SheetTable] = []
    problems: list[ReadProblem] = []
    with workbook:
        for name in workbook.sheet_names:
            try:
                tables.append(_read_sheet(workbook, name, source, meta.get(name, SheetMeta())))
            except Exception as exc:  # noqa: BLE001
                problems.append(ReadProblem(source, name, "sheet could not be read "
                                            f"({type(exc).__name__})", fatal=False))
    for table in tables:
        if not any(any(filled(v) for v in row) for row in table.rows):
            problems.append(ReadProblem(source, table.sheet, "empty sheet: no cells with values",
                                        fatal=False))
    return [t for t in tables if t.rows], problems


def _read_sheet(workbook: Any, name: str, source: str, meta: SheetMeta) -> SheetTable:
    sheet = workbook.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
    return SheetTable(source=source, sheet=name, rows=rows, hidden_rows=meta.hidden_rows,
                      formula_cells=meta.formula_cells, merged=merged)


def _describe_open_failure(path: Path, exc: Exception) -> str:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0") and path.suffix.lower() in (".xlsx", ".xlsm"):
        return ("password-protected or encrypted workbook: cannot be read; "
                "save it without a password")
    if type(exc).__name__ == "PasswordError":
        return "password-protected workbook: cannot be read; save it without a password"
    return f"corrupt or unreadable workbook ({type(exc).__name__}); re-export it from its source"


def filled(value: Any) -> bool:
    """True for a cell with a value (not None, not the empty string)."""
    return value is not None and value != ""


def _read_csv(path: Path, source: str) -> tuple[list[SheetTable], list[ReadProblem]]:
    data = path.read_bytes()
    problems: list[ReadProblem] = []
    text, encoding = _decode(data)
    if encoding != "utf-8-sig":
        problems.append(ReadProblem(source, "", f"not UTF-8: read as {encoding}; check accented "
                                    "characters", fatal=False))
    rows: list[list[Any]] = list(_csv_rows(text))
    if not any(any(v.strip() for v in row) for row in rows):
        problems.append(ReadProblem(source, "", "empty file: no cells with values", fatal=False))
        return [], problems
    return [SheetTable(source=source, sheet="", rows=rows)], problems


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"  # pragma: no cover - latin-1 decodes any bytes


def _csv_rows(text: str) -> Iterator[list[str]]:
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)
