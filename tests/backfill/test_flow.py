"""The backfill flow's parameters → its request, through the builder the CLI uses (no server)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hotpass.backfill.flow import flow_request
from hotpass.backfill.plan import plan
from hotpass.backfill.prefect_fanout import PrefectTarget
from hotpass.backfill.window import RunKey
from hotpass.cli import main
from hotpass.errors import UsageError

PATTERN = "{date:%Y-%m-%d}/hotpass-inputs-{version}.zip"


def _parameters(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "since": None, "start_date": None, "end_date": "2024-03-08", "versions": None,
        "runs": None, "archive_root": str(tmp_path / "archive"),
        "restore_root": str(tmp_path / "restore"), "archive_pattern": PATTERN,
        "profile_name": "generic", "concurrency_limit": 2, "rerun": "missing"}
    values.update(overrides)
    return values


def test_no_start_and_no_since_gives_the_week_ending_at_the_end_date(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no local server recorded under .hotpass/
    request = flow_request(**_parameters(tmp_path, versions=["v1", "v2"]))
    assert (request.start_date, request.end_date) == (date(2024, 3, 2), date(2024, 3, 8))
    assert request.versions == ("v1", "v2") and request.runs == ()
    assert request.archive_root == tmp_path / "archive"
    assert request.restore_root == tmp_path / "restore"
    assert (request.profile, request.concurrency, request.rerun) == ("generic", 2, "missing")
    assert request.via_prefect and not request.archive and request.resume_id is None
    assert request.prefect == PrefectTarget()  # the flow run's own client finds the API


def test_since_starts_the_window_unless_a_start_date_is_given(tmp_path: Path) -> None:
    since = flow_request(**_parameters(tmp_path, since="2024-03-05"))
    assert (since.start_date, since.end_date) == (date(2024, 3, 5), date(2024, 3, 8))
    both = flow_request(**_parameters(tmp_path, since="2024-03-05", start_date="2024-03-07"))
    assert both.start_date == date(2024, 3, 7)


def test_an_explicit_runs_list_replaces_the_window(tmp_path: Path) -> None:
    runs = [{"run_date": "2024-03-02", "version": "v2"}, {"run_date": "2024-03-01",
                                                          "version": "v1"},
            {"run_date": "2024-03-02", "version": "v2"}]
    request = flow_request(**_parameters(tmp_path, runs=runs, since="2024-03-01"))
    assert request.start_date is None and request.end_date is None
    assert request.runs == (RunKey(date(2024, 3, 1), "v1"), RunKey(date(2024, 3, 2), "v2"))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"versions": ["../v1"]}, "not a valid version name"),
    ({"runs": [{"run_date": "2024-03-01"}]}, "run_date, version"),
    ({"end_date": "March 8th"}, "is not a date"),
    ({"since": "2024-03-09"}, "before it starts"),
])
def test_parameters_are_checked_as_the_cli_checks_its_flags(
        tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plan(flow_request(**_parameters(tmp_path, **overrides)))


def test_the_flow_and_the_cli_continue_the_same_backfill(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = flow_request(**_parameters(tmp_path, versions=["v1"]))
    code = main(["backfill", "--end-date", "2024-03-08", "--version", "v1", "--archive-root",
                 str(tmp_path / "archive"), "--restore-root", str(tmp_path / "restore"),
                 "--dry-run", "--json"])
    assert code == 0
    assert plan(request).backfill_id == json.loads(capsys.readouterr().out)["backfill_id"]
