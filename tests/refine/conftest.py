"""Helpers for refine tests: build real workbooks with xlsxwriter, run the refinement, and read
back what a user would see in the output workbook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import python_calamine
import xlsxwriter

from hotpass.refine.pipeline import RefineRequest, RefineResult, run_refinement
from hotpass.telemetry import PipelineMetrics


@dataclass
class Outcome:
    result: RefineResult
    refined: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    summary: list[dict[str, Any]]

    def org(self, name: str) -> dict[str, Any]:
        matches = [r for r in self.refined if r["organization_name"] == name]
        assert len(matches) == 1, (name, [r["organization_name"] for r in self.refined])
        return matches[0]

    def issues_for(self, field: str) -> list[tuple[str, str]]:
        return [(i["value"], i["reason"]) for i in self.issues if i["field"] == field]


def read_sheets(path: Path) -> dict[str, list[dict[str, Any]]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        header = [str(h) for h in rows[0]] if rows else []
        body = [dict(zip(header, _pad(row, len(header)), strict=True)) for row in rows[1:]]
        sheets[name] = [r for r in body if any(v not in ("", None) for v in r.values())]
    return sheets


def _pad(row: list[Any], width: int) -> list[Any]:
    return (list(row) + [""] * width)[:width]


def write_workbook(path: Path, build: Callable[[Any, Any], None], sheet: str = "Sheet1") -> Path:
    book = xlsxwriter.Workbook(str(path))
    build(book, book.add_worksheet(sheet))
    book.close()
    return path


@pytest.fixture
def xlsx() -> Callable[..., Path]:
    """`xlsx(path, build)` writes a workbook; `build(book, first_sheet)` fills it."""
    return write_workbook


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    return folder


@pytest.fixture
def run_refine(tmp_path: Path) -> Callable[..., Outcome]:
    def run(input_dir: Path, profile: str = "generic", **options: Any) -> Outcome:
        output = options.pop("output_path", tmp_path / "out" / "refined.xlsx")
        request = RefineRequest(input_dir=input_dir, output_path=output, profile=profile,
                                state_dir=tmp_path / "state",
                                archive_root=tmp_path / "archive", **options)
        result = run_refinement(request, metrics=PipelineMetrics())
        sheets = read_sheets(output) if output.suffix == ".xlsx" else {}
        return Outcome(result, sheets.get("refined", []), sheets.get("issues", []),
                       sheets.get("summary", []))

    return run
