"""Record counts of a refined workbook, for runs whose result lives on a worker (child flow
runs): the `summary` sheet's records_in/records_out/rejected when present, else row counts of
the `refined` and `issues` sheets."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

_KEYS = ("records_in", "records_out", "rejected")


def output_counts(output_path: str | Path) -> dict[str, int | None]:
    counts: dict[str, int | None] = dict.fromkeys(_KEYS)
    path = Path(output_path)
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return counts
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        sheets = {name.lower(): name for name in workbook.sheet_names}
        if "summary" in sheets:
            counts.update(_summary(workbook.get_sheet_by_name(sheets["summary"]).to_python()))
        for key, sheet in (("records_out", "refined"), ("rejected", "issues")):
            if counts[key] is None and sheet in sheets:
                rows = workbook.get_sheet_by_name(sheets[sheet]).to_python()
                counts[key] = max(0, len(rows) - 1)
    except Exception:  # counts are informative; an unreadable workbook must not fail the run
        return counts
    return counts


def _summary(rows: list[list[Any]]) -> dict[str, int]:
    """`records_in` etc. from rows like (key, value) or (section, key, value)."""
    found: dict[str, int] = {}
    for row in rows:
        cells = [str(c).strip() for c in row]
        for index, cell in enumerate(cells[:-1]):
            if cell.lower() in _KEYS and cell.lower() not in found:
                with contextlib.suppress(ValueError):
                    found[cell.lower()] = int(float(cells[index + 1]))
                break
    return found
