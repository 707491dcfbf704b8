from datetime import date
from pathlib import Path

import pytest

from hotpass.backfill import window
from hotpass.backfill.window import RunKey
from hotpass.errors import UsageError


def test_window_includes_both_ends_and_crosses_months() -> None:
    dates = window.window_dates(date(2024, 2, 28), date(2024, 3, 1))
    assert dates == [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]


def test_window_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(UsageError, match="ends"):
        window.window_dates(date(2024, 3, 2), date(2024, 3, 1))


def test_window_start_falls_back_to_since_and_end_to_today() -> None:
    start, end = window.resolve_window(None, None, "2024-03-01T00:00:00+00:00")
    assert start == date(2024, 3, 1)
    assert end >= date(2026, 1, 1)
    assert window.resolve_window("2024-01-01", "2024-01-05", "2023-01-01") == (
        date(2024, 1, 1), date(2024, 1, 5))


def test_no_start_and_no_since_is_the_week_ending_at_the_end_date() -> None:
    assert window.resolve_window(None, "2024-03-07", None) == (date(2024, 3, 1),
                                                               date(2024, 3, 7))
    assert window.resolve_window("", date(2024, 3, 1), "") == (date(2024, 2, 24),
                                                               date(2024, 3, 1))
    start, end = window.resolve_window(None, None, None)
    assert (end - start).days == 6 and end >= date(2026, 1, 1)
    assert window.window_is_default(None, "") and not window.window_is_default(None, "2024-01-01")
    assert window.describe_window(date(2024, 3, 1), date(2024, 3, 7), default=True) == (
        "backfill window 2024-03-01 to 2024-03-07 (7 day(s)): no start date or since given, "
        "so the 7 days ending at the end date")


def test_expand_is_every_date_times_every_version() -> None:
    keys = list(window.expand([date(2024, 1, 1), date(2024, 1, 2)], ["v1", "v2"]))
    assert [k.label for k in keys] == ["2024-01-01--v1", "2024-01-01--v2",
                                       "2024-01-02--v1", "2024-01-02--v2"]


@pytest.mark.parametrize("version", ["../x", "a/b", "", ".hidden", "v1 "])
def test_bad_versions_are_refused(version: str) -> None:
    with pytest.raises(UsageError, match="version"):
        list(window.expand([date(2024, 1, 1)], [version]))


def test_pattern_formats_date_and_version(tmp_path: Path) -> None:
    path = window.archive_path(tmp_path, window.DEFAULT_PATTERN, RunKey(date(2024, 3, 1), "v2"))
    assert path == tmp_path / "2024-03-01" / "hotpass-inputs-v2.zip"
    other = window.archive_path(tmp_path, "{date:%Y/%m}/{date:%d}-{version}.zip",
                                RunKey(date(2024, 3, 1), "v1"))
    assert other == tmp_path / "2024" / "03" / "01-v1.zip"


@pytest.mark.parametrize("pattern", ["../{date:%Y-%m-%d}/{version}.zip",
                                     "/etc/{date:%Y}-{version}.zip",
                                     "{date:%Y}/../../{version}.zip"])
def test_pattern_leaving_the_root_is_refused(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(UsageError, match="outside the archive root|absolute"):
        window.archive_path(tmp_path / "archive", pattern, RunKey(date(2024, 3, 1), "v1"))


def test_pattern_through_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    root.mkdir()
    (root / "escape").symlink_to(tmp_path)
    with pytest.raises(UsageError, match="outside the archive root"):
        window.archive_path(root, "escape/{date:%Y}-{version}.zip", RunKey(date(2024, 3, 1), "v1"))


def test_pattern_with_unknown_field_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot be formatted"):
        window.archive_path(tmp_path, "{day}/{version}.zip", RunKey(date(2024, 3, 1), "v1"))


def test_discover_versions_in_natural_order(tmp_path: Path) -> None:
    day = tmp_path / "2024-03-01"
    day.mkdir()
    for version in ("v10", "v2", "v1"):
        (day / f"hotpass-inputs-{version}.zip").write_bytes(b"")
    (day / "notes.txt").write_text("")
    assert window.discover_versions(tmp_path, window.DEFAULT_PATTERN, date(2024, 3, 1)) == [
        "v1", "v2", "v10"]
    assert window.discover_versions(tmp_path, window.DEFAULT_PATTERN, date(2024, 3, 2)) == []


def test_explicit_runs_are_parsed_and_deduplicated() -> None:
    keys = window.parse_runs([{"run_date": "2024-03-02", "version": "v1"},
                              {"run_date": "2024-03-01", "version": "v1"},
                              {"run_date": "2024-03-02", "version": "v1"}])
    assert [k.label for k in keys] == ["2024-03-01--v1", "2024-03-02--v1"]
    with pytest.raises(UsageError, match="run_date"):
        window.parse_runs([{"date": "2024-03-01"}])  # type: ignore[list-item]
