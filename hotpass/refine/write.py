"""The one module that knows the output engines: hotpass.refine.xlsx for .xlsx, polars for
.csv and .parquet. Every output is written to a temp file beside the target and renamed over it, so
a reader never sees half a workbook."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from hotpass.errors import UsageError
from hotpass.fsutil import atomic_write_with
from hotpass.refine.privacy import redact
from hotpass.refine.xlsx import write_workbook

OUTPUT_SUFFIXES = (".xlsx", ".csv", ".parquet")
SUMMARY_COLUMNS = ["section", "item", "value"]


def check_output_path(path: Path) -> None:
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError(f"output path {redact(path)} must end in " + ", ".join(OUTPUT_SUFFIXES),
                         hint="for example --output-path dist/refined.xlsx")


def write_output(path: Path, refined: pl.DataFrame, issues: pl.DataFrame,
                 summary: list[dict[str, Any]]) -> list[Path]:
    """Write the refined table (and, for .csv/.parquet, the issues beside it); returns paths."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        summary_frame = pl.DataFrame(summary, schema=dict.fromkeys(SUMMARY_COLUMNS, pl.String))
        atomic_write_with(path, partial(write_workbook, sheets=[
            ("refined", refined), ("issues", issues), ("summary", summary_frame)]))
        return [path]
    issues_path = path.with_name(f"{path.stem}-issues{path.suffix}")
    for frame, target in ((refined, path), (issues, issues_path)):
        atomic_write_with(target, partial(_write_table, frame, suffix))
    return [path, issues_path]


def _write_table(frame: pl.DataFrame, suffix: str, path: Path) -> None:
    if suffix == ".csv":  # booleans as Python writes them (True/False), as before
        frame.with_columns(pl.col(pl.Boolean).replace_strict(
            {True: "True", False: "False"}, return_dtype=pl.String)).write_csv(path)
    else:
        frame.write_parquet(path)
