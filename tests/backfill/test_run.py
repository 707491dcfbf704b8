import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hotpass.backfill import plan as plan_module
from hotpass.backfill import state as state_module
from hotpass.backfill.plan import BackfillRequest, plan
from hotpass.backfill.run import BackfillEvent, run_backfill
from hotpass.backfill.state import load_state, save_state
from hotpass.backfill.window import RunKey
from hotpass.errors import UsageError
from tests.backfill.fakes import copy_run, threads_run
from tests.backfill.zips import good_zip, zip_with_entry

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" /
                     "backfill-state.schema.json").read_text())


def _archives(root: Path, days: int, versions: tuple[str, ...] = ("v1",)) -> None:
    for day in range(1, days + 1):
        for version in versions:
            good_zip(root / f"2024-03-{day:02d}" / f"hotpass-inputs-{version}.zip",
                     {"a.csv": f"day {day} {version}\n"})


def _request(tmp_path: Path, **overrides: object) -> BackfillRequest:
    values: dict[str, object] = {
        "start_date": date(2024, 3, 1), "end_date": date(2024, 3, 4),
        "archive_root": tmp_path / "archive", "restore_root": tmp_path / "restore",
        "concurrency": 1}
    values.update(overrides)
    return BackfillRequest(**values)  # type: ignore[arg-type]


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "restore" / "calls.log"
    return sorted(line.split()[0] for line in log.read_text().splitlines()) if log.exists() else []


def _state_json(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def test_versions_are_discovered_and_dates_without_archives_reported(tmp_path: Path) -> None:
    _archives(tmp_path / "archive", 2, ("v1", "v2"))
    result = plan(_request(tmp_path))
    assert [(i.record.label, i.will_run) for i in result.items] == [
        ("2024-03-01--v1", True), ("2024-03-01--v2", True),
        ("2024-03-02--v1", True), ("2024-03-02--v2", True)]
    assert result.missing_dates == ["2024-03-03", "2024-03-04"]
    assert not (tmp_path / "restore").exists()  # a plan writes nothing


def test_explicit_version_with_missing_archive_fails_only_that_run(tmp_path: Path) -> None:
    _archives(tmp_path / "archive", 3)
    events: list[BackfillEvent] = []
    result = run_backfill(_request(tmp_path, versions=("v1",)), events.append, run_one=copy_run)
    status = {r.label: r.status for r in result.runs}
    assert status == {"2024-03-01--v1": "completed", "2024-03-02--v1": "completed",
                      "2024-03-03--v1": "completed", "2024-03-04--v1": "failed"}
    failed = result.runs[-1]
    assert failed.error is not None and "archive not found" in failed.error
    assert result.exit_code == 1
    assert [e.kind for e in events] == ["start", "run", "run", "run", "run"]
    assert (tmp_path / "restore" / "outputs" / "refined-2024-03-02--v1.xlsx").read_text() == (
        "day 2 v1\n")
    _state_json(result.state_path)


def test_unsafe_archive_fails_its_run_and_writes_nothing_outside(tmp_path: Path) -> None:
    _archives(tmp_path / "archive", 1)
    zip_with_entry(tmp_path / "archive" / "2024-03-02" / "hotpass-inputs-v1.zip", "../../x.csv")
    result = run_backfill(_request(tmp_path, end_date=date(2024, 3, 2)), run_one=copy_run)
    bad = result.runs[1]
    assert bad.status == "failed" and bad.error and "'..'" in bad.error
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "restore" / "x.csv").exists()
    assert not (tmp_path / "restore" / "2024-03-02--v1").exists()


def test_same_request_continues_the_same_backfill(tmp_path: Path) -> None:
    _archives(tmp_path / "archive", 4)
    first = run_backfill(_request(tmp_path), run_one=copy_run)
    again = run_backfill(_request(tmp_path), run_one=copy_run)
    assert again.backfill_id == first.backfill_id and again.ran == []
    assert len(_calls(tmp_path)) == 4


def test_resume_runs_only_unfinished_runs_then_failed_then_all(tmp_path: Path) -> None:
    _archives(tmp_path / "archive", 4)
    result = run_backfill(_request(tmp_path), run_one=copy_run)
    state = load_state(result.state_path)
    # as if killed: one run never finished, one failed
    state.runs[1].status, state.runs[2].status = "running", "failed"
    save_state(state, result.state_path)
    (tmp_path / "restore" / "calls.log").unlink()

    preview = plan(_request(tmp_path, resume_id=result.backfill_id))
    assert [i.will_run for i in preview.items] == [False, True, False, False]
    resumed = run_backfill(_request(tmp_path, resume_id=result.backfill_id), run_one=copy_run)
    assert resumed.ran == ["2024-03-02--v1"] and _calls(tmp_path) == ["2024-03-02--v1"]
    assert resumed.runs[1].attempts == 1  # a resumed unfinished run keeps its attempt

    failed = run_backfill(_request(tmp_path, resume_id=result.backfill_id, rerun="failed"),
                          run_one=copy_run)
    assert failed.ran == ["2024-03-03--v1"]
    assert failed.runs[2].attempts == 2 and failed.exit_code == 0

    everything = run_backfill(_request(tmp_path, resume_id=result.backfill_id, rerun="all",
                                       concurrency=2), run_one=copy_run)
    assert len(everything.ran) == 4
    data = _state_json(everything.state_path)
    assert [r["attempts"] for r in data["runs"]] == [2, 2, 3, 2]  # type: ignore[index]


def test_a_state_file_of_an_earlier_version_with_lease_ids_still_resumes(tmp_path: Path,
                                                                           ) -> None:
    _archives(tmp_path / "archive", 2)
    result = run_backfill(_request(tmp_path, end_date=date(2024, 3, 2)), run_one=copy_run)
    data = json.loads(result.state_path.read_text())
    for run in data["runs"]:  # written by earlier versions, whose parent held the slots
        run["lease_id"] = "5f0c7a8e-0000-4000-8000-000000000000"
    data["runs"][1]["status"] = "running"
    result.state_path.write_text(json.dumps(data))

    resumed = run_backfill(_request(tmp_path, end_date=date(2024, 3, 2),
                                    resume_id=result.backfill_id), run_one=copy_run)
    assert resumed.ran == ["2024-03-02--v1"] and resumed.exit_code == 0
    runs = _state_json(resumed.state_path)["runs"]
    assert all("lease_id" not in run for run in runs)  # type: ignore[attr-defined]


def test_local_pool_runs_in_separate_processes(tmp_path: Path) -> None:
    _archives(tmp_path / "archive", 4)
    result = run_backfill(_request(tmp_path, concurrency=2), run_one=copy_run)
    assert result.exit_code == 0
    pids = {line.split()[1] for line in (tmp_path / "restore" / "calls.log").read_text()
            .splitlines()}
    assert 1 <= len(pids) <= 2 and str(os.getpid()) not in pids
    keys = sorted(line.split()[2] for line in (tmp_path / "restore" / "calls.log").read_text()
                  .splitlines())
    assert keys[0] == f"{result.backfill_id}/2024-03-01/v1"


def test_resume_of_unknown_id_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no backfill state"):
        plan(_request(tmp_path, resume_id="bf-nope"))


def test_bad_rerun_rule_and_concurrency_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="rerun"):
        plan(_request(tmp_path, rerun="some"))
    with pytest.raises(UsageError, match="concurrency"):
        plan(_request(tmp_path, concurrency=0))


def test_relative_roots_are_recorded_as_absolute_paths(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _archives(tmp_path / "archive", 1)
    monkeypatch.chdir(tmp_path)
    result = run_backfill(BackfillRequest(start_date=date(2024, 3, 1), end_date=date(2024, 3, 1),
                                          archive_root=Path("archive"),
                                          restore_root=Path("restore")), run_one=copy_run)
    data = _state_json(result.state_path)
    run = data["runs"][0]  # type: ignore[index]
    assert Path(run["output_path"]).is_absolute() and Path(run["archive_path"]).is_absolute()
    assert data["parameters"]["restore_root"] == str(tmp_path / "restore")  # type: ignore[index]


def test_a_backfill_already_running_is_refused(tmp_path: Path) -> None:
    from hotpass.backfill.state import exclusive

    _archives(tmp_path / "archive", 1)
    request = _request(tmp_path, end_date=date(2024, 3, 1))
    path = plan(request).state_path
    with exclusive(path), pytest.raises(UsageError, match="already running"):
        run_backfill(request, run_one=copy_run)
    assert run_backfill(request, run_one=copy_run).exit_code == 0


def test_each_run_is_recorded_as_opentelemetry_metrics(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _archives(tmp_path / "archive", 2)
    metrics_file = tmp_path / "metrics.jsonl"
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "jsonl")
    monkeypatch.setenv("HOTPASS_METRICS_JSONL", str(metrics_file))
    run_backfill(_request(tmp_path, end_date=date(2024, 3, 2)), run_one=copy_run)
    text = metrics_file.read_text()
    assert "hotpass.backfill.run.duration" in text and "hotpass.backfill.run.records" in text
    assert '"run.date":"2024-03-02"' in text.replace(" ", "")


@pytest.mark.parametrize("shape", ["window", "runs", "resume"])
def test_the_state_is_built_once_when_nobody_saves_it_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    _archives(tmp_path / "archive", 2)
    request = _request(tmp_path, end_date=date(2024, 3, 2))
    if shape == "runs":
        request = _request(tmp_path, start_date=None, end_date=None,
                           runs=(RunKey(date(2024, 3, 2), "v1"), RunKey(date(2024, 3, 1), "v1")))
    if shape == "resume":
        first = run_backfill(request, run_one=copy_run)
        request = _request(tmp_path, resume_id=first.backfill_id, rerun="all")
    built: list[BackfillRequest] = []

    def counted(request: BackfillRequest) -> Any:
        built.append(request)
        return plan_module.build_state(request)

    monkeypatch.setattr("hotpass.backfill.run.build_state", counted)
    result = run_backfill(request, run_one=copy_run)
    assert len(built) == 1 and len(result.ran) == 2 and result.exit_code == 0


def test_a_state_saved_between_the_read_and_the_lock_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _archives(tmp_path / "archive", 1)
    request = _request(tmp_path, end_date=date(2024, 3, 1))
    state, path, _ = plan_module.build_state(request)
    save_state(state, path)  # pending: never ran

    @contextmanager
    def finished_by_another_process(locked: Path) -> Iterator[None]:
        other = load_state(locked)
        other.runs[0].status = "completed"
        save_state(other, locked)
        with state_module.exclusive(locked):
            yield

    monkeypatch.setattr("hotpass.backfill.run.exclusive", finished_by_another_process)
    result = run_backfill(request, run_one=copy_run)
    assert result.ran == [] and result.runs[0].status == "completed"
    assert _calls(tmp_path) == []


@pytest.mark.parametrize("concurrency", [1, 2])
def test_each_local_run_refines_on_one_thread(tmp_path: Path, concurrency: int) -> None:
    _archives(tmp_path / "archive", 2)
    result = run_backfill(_request(tmp_path, end_date=date(2024, 3, 2), concurrency=concurrency),
                          run_one=threads_run)
    budgets = {Path(r.output_path).read_text().split()[0] for r in result.runs}
    assert budgets == {"1"}  # and the engine too, in a pool worker that imported it itself
    if concurrency == 2:
        assert {Path(r.output_path).read_text() for r in result.runs} == {"1 1"}
    assert "POLARS_MAX_THREADS" not in os.environ or os.environ["POLARS_MAX_THREADS"] != "1"
