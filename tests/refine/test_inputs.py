"""Reading workbooks ahead: in order, one file ahead, skipping what the caller skips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hotpass.refine.inputs import ReadAhead, list_inputs


def _workbooks(folder: Path, xlsx: Any, names: list[str]) -> list[Path]:
    for name in names:
        xlsx(folder / name, lambda book, ws, name=name: ws.write_row(0, 0, ["Organisation",
                                                                         name]))
    (folder / "b.csv").write_text("Organisation\nAcme\n")
    (folder / "~$lock.xlsx").write_bytes(b"")
    return list_inputs(folder)


def _first_cells(workbook: Any) -> list[str]:
    return [sheet.to_polars().row(0)[1] for _, sheet in workbook.sheets]


def test_workbooks_are_taken_in_order_and_csvs_pass_through(inputs: Path, xlsx: Any) -> None:
    paths = _workbooks(inputs, xlsx, ["a.xlsx", "c.xlsx", "d.xlsm"])
    assert [p.name for p in paths] == ["a.xlsx", "b.csv", "c.xlsx", "d.xlsm"]
    ahead = ReadAhead(paths)
    try:
        first = ahead.take(paths[0])
        assert first is not None and _first_cells(first) == ["a.xlsx"]
        assert "Sheet1" in first.meta
        assert ahead.take(paths[1]) is None  # a CSV is read where it is needed
        third = ahead.take(paths[2])
        assert third is not None and _first_cells(third) == ["c.xlsx"]
    finally:
        ahead.close()


def test_a_skipped_workbook_is_dropped_and_the_next_one_still_comes(inputs: Path,
                                                                    xlsx: Any) -> None:
    paths = _workbooks(inputs, xlsx, ["a.xlsx", "c.xlsx", "d.xlsx"])
    ahead = ReadAhead(paths)
    try:
        assert ahead.take(paths[3]) is None  # asked past a.xlsx and c.xlsx: not read ahead
        assert ahead.take(paths[0]) is None
    finally:
        ahead.close()


def test_an_unreadable_workbook_is_a_result_not_an_error(inputs: Path) -> None:
    broken = inputs / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    ahead = ReadAhead([broken])
    try:
        loaded = ahead.take(broken)
        assert loaded is not None and loaded.error is not None and loaded.sheets == []
    finally:
        ahead.close()


def test_reading_ahead_never_holds_up_the_process_exit() -> None:
    import threading

    from hotpass.refine.inputs import _in_background

    release = threading.Event()
    loading = _in_background(lambda _path: release.wait(10), Path("slow.xlsx"))
    readers = [t for t in threading.enumerate() if t.name == "hotpass-read" and t.is_alive()]
    try:
        assert readers and all(t.daemon for t in readers)  # exit does not wait for them
    finally:
        release.set()
    assert loading.result(timeout=10) is True
