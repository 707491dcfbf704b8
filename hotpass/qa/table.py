"""Read a refined output (`.xlsx` sheet `refined`, `.csv`, `.parquet`) as text cells and profile
it: rows, null share and top values per column."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from hotpass.bundles.masking import redact_personal
from hotpass.errors import UsageError
from hotpass.qa.report import ColumnProfile, DataProfile

TOP_VALUES = 5
REFINED_SHEET = "refined"


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the refined output as text ('' for an empty cell)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UsageError(f"{path} does not exist",
                         hint="run `hotpass refine` first or pass --input")
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        rows = _read_workbook(path)
    elif suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [list(r) for r in csv.reader(handle)]
    elif suffix == ".parquet":
        rows = _read_parquet(path)
    else:
        raise UsageError(f"{path}: cannot profile a {suffix or 'suffix-less'} file",
                         hint="pass a refined .xlsx, .csv or .parquet output")
    if not rows:
        return [], []
    header = [str(h) for h in rows[0]]
    body = [[_text(c) for c in r] + [""] * (len(header) - len(r)) for r in rows[1:]]
    return header, [r[: len(header)] for r in body if any(c for c in r)]


def workbook_expectations(path: Path) -> list[dict[str, object]]:
    """The refinement's expectation outcomes from a refined workbook's `summary` sheet (rows
    `expectation | <name> | pass: <metric> = <value> (min …)`); empty for other files."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return []
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    if "summary" not in workbook.sheet_names:
        return []
    outcomes: list[dict[str, object]] = []
    for row in workbook.get_sheet_by_name("summary").to_python():
        if len(row) >= 3 and row[0] == "expectation":
            verdict, _, detail = str(row[2]).partition(": ")
            outcomes.append({"name": str(row[1]), "passed": verdict.strip() == "pass",
                             "observed": detail.strip() or None})
    return outcomes


def profile_table(source: str, header: list[str], rows: list[list[str]]) -> DataProfile:
    columns = []
    for index, name in enumerate(header):
        values = [r[index] for r in rows]
        present = [v for v in values if v.strip()]
        counts = Counter(redact_personal(v) for v in present)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_VALUES]
        columns.append(ColumnProfile(name=name, non_null=len(present),
                                     nulls=len(values) - len(present),
                                     distinct=len(set(present)), top_values=top))
    return DataProfile(source=source, rows=len(rows), columns=columns)


def _read_workbook(path: Path) -> list[list[object]]:
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    names = workbook.sheet_names
    sheet = REFINED_SHEET if REFINED_SHEET in names else names[0]
    sheet_rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return [list(r) for r in sheet_rows]


def _read_parquet(path: Path) -> list[list[object]]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:
        raise UsageError("reading .parquet needs pyarrow (pip install '.[bench]')") from exc
    table = pq.read_table(path)
    columns = table.column_names
    data = table.to_pylist()
    return [list(columns), *([row.get(c) for c in columns] for row in data)]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
