"""Which files a refinement reads, and reading .xlsx/.xlsm workbooks ahead of time.

fastexcel parses a workbook outside the GIL, so a background thread can load the next workbook
while the main thread imports the engine (polars, ~0.35 s) or refines the previous file. This
module imports neither polars nor the engine: `run_refinement` starts the read-ahead first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hotpass.refine.threads import thread_budget
from hotpass.refine.xlsxmeta import SheetMeta, read_sheet_meta

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
INPUT_SUFFIXES = (*SPREADSHEET_SUFFIXES, ".csv")
XML_SUFFIXES = (".xlsx", ".xlsm")
T = TypeVar("T")


def inputs_to_read(input_dir: Path, output_path: Path) -> list[Path]:
    """The input files of a run writing to `output_path`: its own outputs (when they sit in
    the input folder) are not inputs."""
    output = output_path.resolve()
    own_outputs = {output, output.with_name(f"{output.stem}-issues{output.suffix}")}
    return [f for f in list_inputs(input_dir) if f.resolve() not in own_outputs]


def list_inputs(input_dir: Path) -> list[Path]:
    """Every input file under `input_dir`, sorted; lock files (~$x.xlsx) and dotfiles skipped."""
    return sorted(p for p in input_dir.rglob("*")
                  if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES
                  and not p.name.startswith(("~$", ".")))


@dataclass
class LoadedWorkbook:
    """An .xlsx/.xlsm parsed by fastexcel: each sheet's cells as text (an `ExcelSheet`, or the
    error loading it raised), plus what only the sheet XML tells (hidden rows, formulas,
    merges). `error` is set when the file could not be opened at all."""

    sheets: list[tuple[str, Any]] = field(default_factory=list)
    meta: dict[str, SheetMeta] = field(default_factory=dict)
    error: Exception | None = None


def load_workbook(path: Path) -> LoadedWorkbook:
    """Parse every sheet of `path`; never raises (failures are recorded in the result)."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # noqa: BLE001 - reported as a problem with this file
        return LoadedWorkbook(error=exc)
    sheets: list[tuple[str, Any]] = []
    for name in reader.sheet_names:
        try:
            sheets.append((name, reader.load_sheet(name, header_row=None, dtypes="string",
                                                   skip_rows=0)))
        except Exception as exc:  # noqa: BLE001 - reported as a problem with this sheet
            sheets.append((name, exc))
    return LoadedWorkbook(sheets)


class ReadAhead:
    """Loads the workbooks among `paths`, in order, in background threads: the cells of one
    file ahead of the one being taken, and its sheet-XML scan beside them."""

    def __init__(self, paths: Sequence[Path]) -> None:
        # With a one-thread budget (a backfill run) each workbook is read where it is taken.
        self._queue = [p for p in paths if p.suffix.lower() in XML_SUFFIXES] \
            if thread_budget() > 1 else []
        self._loading: tuple[Path, Future[LoadedWorkbook], Future[dict[str, SheetMeta]]] | None
        self._loading = None
        self._load_next()

    @classmethod
    def for_run(cls, input_dir: Path, output_path: Path, *, incremental: bool) -> ReadAhead:
        """The read-ahead of a run's inputs: none for an incremental run, which reads only the
        files that changed (and a missing folder is reported by the run itself)."""
        if incremental or not input_dir.is_dir():
            return cls([])
        return cls(inputs_to_read(input_dir, output_path))

    def _load_next(self) -> None:
        if self._queue and self._loading is None:
            path = self._queue.pop(0)
            self._loading = (path, _in_background(load_workbook, path),
                             _in_background(read_sheet_meta, path))

    def take(self, path: Path) -> LoadedWorkbook | None:
        """The workbook at `path` (waiting for its load), or None when it is not read ahead;
        the next one starts loading meanwhile. Workbooks listed before `path` are skipped."""
        if path.suffix.lower() not in XML_SUFFIXES:
            return None
        loading, self._loading = self._loading, None
        if path in self._queue:
            del self._queue[:self._queue.index(path) + 1]
        self._load_next()
        if loading is None or loading[0] != path:
            return None
        workbook = loading[1].result()
        workbook.meta = loading[2].result()
        return workbook

    def close(self) -> None:
        """Stop reading ahead. A load in progress finishes in the background; its thread does
        not hold up the process's exit (a run stopped by bad arguments exits at once)."""
        self._queue.clear()
        self._loading = None


def _in_background(function: Callable[[Path], T], path: Path) -> Future[T]:
    """function(path) on a daemon thread, its result or error in the returned future."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(function(path))
        except BaseException as exc:  # noqa: BLE001 - handed over through the future
            future.set_exception(exc)

    threading.Thread(target=run, name="hotpass-read", daemon=True).start()
    return future
