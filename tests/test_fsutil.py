"""Atomic writes: whole files only, readable outputs, private secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpass.fsutil import atomic_write_bytes, atomic_write_json, atomic_write_text


def test_outputs_are_readable_by_others(tmp_path: Path) -> None:
    written = atomic_write_text(tmp_path / "out" / "summary.json", "{}\n")
    assert written.read_text() == "{}\n"
    assert written.stat().st_mode & 0o777 == 0o644


def test_a_secret_file_is_private(tmp_path: Path) -> None:
    written = atomic_write_text(tmp_path / ".env.prod", "PREFECT_API_KEY=x\n", mode=0o600)
    assert written.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "refined.csv"
    target.write_text("old\n")

    with pytest.raises(TypeError):  # the write itself fails half-way through the protocol
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["refined.csv"]


def test_json_files_are_canonical(tmp_path: Path) -> None:
    document = {"b": ["é", 1], "a": None}
    first = atomic_write_json(tmp_path / "doc.json", document).read_bytes()
    again = atomic_write_json(tmp_path / "doc.json", dict(reversed(document.items()))).read_bytes()
    assert first == again == '{\n  "a": null,\n  "b": [\n    "é",\n    1\n  ]\n}\n'.encode()


def test_parse_sums_reads_sha256sum_text_and_binary_lines() -> None:
    from hotpass.fsutil import parse_sums

    text = ("AB12  a.csv\n"
            "cd34 *sub/b c.csv\r\n"
            "\n"
            "no-name-here\n")
    assert parse_sums(text) == {"a.csv": "ab12", "sub/b c.csv": "cd34"}


def test_a_writer_that_fails_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    from hotpass.fsutil import atomic_write_with

    target = atomic_write_text(tmp_path / "out.bin", "old")

    def half_then_fail(path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write_with(target, half_then_fail)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
    atomic_write_with(target, lambda path: path.write_text("new"))
    assert target.read_text() == "new"
