"""No email address or phone number in logs or exception messages."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\+?\d[\d ()\-]{7,}\d")


def test_logs_never_contain_emails_or_phones(inputs: Path, run_refine: Any, xlsx: Any,
                                             caplog: pytest.LogCaptureFixture) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Email", "Phone"])
        ws.write_row(1, 0, ["Acme", "bad@@example.com", "12345"])
        ws.write_row(2, 0, ["", "orphan@example.com", "+27 82 555 0100"])
        ws.write_row(3, 0, ["Karoo", "ok@example.com", "0825550101"])

    xlsx(inputs / "people.xlsx", build)
    (inputs / "broken.xlsx").write_bytes(b"PK\x03\x04 jane@example.com +27825550100")
    (inputs / "from-jane@example.com-0825550100.csv").write_bytes(b"")
    with caplog.at_level(logging.DEBUG):
        out = run_refine(inputs, profile="aviation")
    assert out.result.rejected == 1
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "hotpass.refine" in {r.name for r in caplog.records}
    assert not EMAIL.search(text), text
    assert not PHONE.search(text), text
    summary = str([p["reason"] for p in out.result.to_json()["problems"]])
    assert not EMAIL.search(summary) and not PHONE.search(summary)


def test_exception_messages_never_contain_values(tmp_path: Path) -> None:
    from hotpass.errors import HotpassError
    from hotpass.refine.pipeline import RefineRequest, run_refinement
    from hotpass.telemetry import PipelineMetrics

    folder = tmp_path / "jane@example.com"
    folder.mkdir()
    with pytest.raises(HotpassError) as caught:
        run_refinement(RefineRequest(folder, tmp_path / "o.xlsx"), metrics=PipelineMetrics())
    assert "no spreadsheets" in caught.value.message
    assert not EMAIL.search(caught.value.render())
    assert "<email>" in caught.value.message
