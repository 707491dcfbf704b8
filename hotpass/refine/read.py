"""The one module that turns inputs into cells: fastexcel for .xlsx/.xlsm (loaded by
hotpass.refine.inputs, plus the sheet-XML scan in xlsxmeta for hidden rows, formulas and merged
cells), python-calamine for .xls/.ods, the csv module for .csv. Every sheet becomes a polars
frame of cell text.

Files that cannot be read (corrupt, password-protected, unknown encoding) and empty sheets
become `ReadProblem`s; the run goes on with the rest.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from hotpass.refine.inputs import XML_SUFFIXES, LoadedWorkbook, load_workbook
from hotpass.refine.normalise import cell_text
from hotpass.refine.xlsxmeta import SheetMeta, read_sheet_meta

CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# fastexcel writes a date-time cell as "2024-03-05 00:00:00"; a user sees (and cell_text gives)
# "2024-03-05" for a date, "2024-03-05T13:30:00" for a date-time and "13:30:00" for a time.
_DATETIME = r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$"


Loader = tuple[str, Any]  # a sheet's name, and a function returning (frame, merged ranges)


@dataclass
class SheetTable:
    """One sheet's cells as text (null when empty): column `c{i}` is sheet column i and frame
    row i is sheet row i+1, so provenance rows match Excel."""

    source: str  # file path relative to the input folder
    sheet: str
    frame: pl.DataFrame
    hidden_rows: frozenset[int] = frozenset()
    formula_cells: dict[int, frozenset[int]] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class ReadProblem:
    source: str
    sheet: str
    reason: str
    fatal: bool  # True: nothing could be read from the file


def read_input(path: Path, source: str, loaded: LoadedWorkbook | None = None,
               ) -> tuple[list[SheetTable], list[ReadProblem]]:
    """The sheets of one input file, and its problems. `loaded`: the workbook read ahead."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, source)
    if suffix in XML_SUFFIXES:
        workbook = loaded or load_workbook(path)
        if workbook.error is not None:
            return [], [_open_problem(path, source, workbook.error)]
        sheets = [(name, lambda sheet=sheet: _frame_of(sheet)) for name, sheet in workbook.sheets]
        meta = workbook.meta if loaded else read_sheet_meta(path)
    else:
        try:
            sheets = _calamine_sheets(path)
        except Exception as exc:  # noqa: BLE001 - every engine failure is a per-file problem
            return [], [_open_problem(path, source, exc)]
        meta = {}
    return _tables(source, sheets, meta)


def _open_problem(path: Path, source: str, exc: Exception) -> ReadProblem:
    return ReadProblem(source, "", _describe_open_failure(path, exc), fatal=True)


def _tables(source: str, sheets: list[Loader], meta: dict[str, SheetMeta],
            ) -> tuple[list[SheetTable], list[ReadProblem]]:
    tables: list[SheetTable] = []
    problems: list[ReadProblem] = []
    for name, load in sheets:
        try:
            frame, merged = load()
        except Exception as exc:  # noqa: BLE001
            problems.append(ReadProblem(source, name, "sheet could not be read "
                                        f"({type(exc).__name__})", fatal=False))
            continue
        if not has_values(frame):
            problems.append(ReadProblem(source, name, "empty sheet: no cells with values",
                                        fatal=False))
            continue
        sheet_meta = meta.get(name, SheetMeta())
        tables.append(SheetTable(source, name, frame, sheet_meta.hidden_rows,
                                 sheet_meta.formula_cells, merged or list(sheet_meta.merged)))
    return tables, problems


def _frame_of(sheet: Any) -> tuple[pl.DataFrame, list[tuple[int, int, int, int]]]:
    """A fastexcel sheet as a text frame whose column `c{i}` is sheet column i."""
    if isinstance(sheet, Exception):
        raise sheet
    columns = sheet.available_columns()
    if not columns:
        return pl.DataFrame(), []
    frame = sheet.to_polars()
    offset = columns[0].absolute_index  # fastexcel starts at the first used column
    names = [f"c{offset + i}" for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    blank = [pl.lit(None, pl.String).alias(f"c{i}") for i in range(offset)]
    return frame.select(*blank, *(_as_shown(frame[n]) for n in names)), []


def _as_shown(column: pl.Series) -> pl.Expr:
    if not column.str.contains(_DATETIME).any():
        return pl.col(column.name)
    cell = pl.col(column.name)
    time_only = cell.str.extract(r"^1899-12-31 (\d{2}:\d{2}:\d{2})$")  # Excel's day zero
    midnight = cell.str.extract(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")
    return pl.coalesce(time_only, midnight, cell.str.replace(_DATETIME, "${1}T${2}")
                       ).alias(column.name)


def _calamine_sheets(path: Path) -> list[Loader]:
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))

    def load(name: str) -> tuple[pl.DataFrame, list[tuple[int, int, int, int]]]:
        sheet = workbook.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        return frame_from_rows(rows), merged

    return [(name, lambda name=name: load(name)) for name in workbook.sheet_names]


def frame_from_rows(rows: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """A text frame of Python rows: strings as written, other values as a user sees them."""
    width = max(map(len, rows), default=0)
    padded = [list(row) + [None] * (width - len(row)) for row in rows]
    columns = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    return pl.DataFrame({f"c{i}": pl.Series([_text_or_none(v) for v in column], dtype=pl.String)
                         for i, column in enumerate(columns)})


def _text_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else cell_text(value)


def has_values(frame: pl.DataFrame) -> bool:
    if frame.width == 0 or frame.height == 0:
        return False
    filled = pl.any_horizontal([pl.col(c).str.strip_chars() != "" for c in frame.columns])
    return bool(frame.select(filled.any()).item())


def _describe_open_failure(path: Path, exc: Exception) -> str:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0") and path.suffix.lower() in XML_SUFFIXES:
        return ("password-protected or encrypted workbook: cannot be read; "
                "save it without a password")
    if "Password" in type(exc).__name__ or "password" in str(exc).lower():
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
    frame = frame_from_rows(list(_csv_rows(text)))
    if not has_values(frame):
        problems.append(ReadProblem(source, "", "empty file: no cells with values", fatal=False))
        return [], problems
    return [SheetTable(source=source, sheet="", frame=frame)], problems


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
