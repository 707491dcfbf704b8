"""`hotpass backfill` and `invoke backfill.*` as a user runs them (real refinement, local pool)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.backfill.flow import backfill_body
from hotpass.backfill.prefect_fanout import NoWorkersOnline, PrefectTarget
from hotpass.cli import main
from hotpass.errors import WorkFailed
from tests.backfill.zips import good_zip, zip_with_entry

HEADER = "organization_name,contact_name,contact_email,website,province\n"
REPO = Path(__file__).resolve().parents[2]


def _day(root: Path, day: int, version: str = "v1") -> Path:
    rows = "".join(f"Org {day}-{n} Air,Pat {n},ops{n}@org{day}.example,org{day}.example,Gauteng\n"
                   for n in range(2))
    return good_zip(root / f"2024-03-{day:02d}" / f"hotpass-inputs-{version}.zip",
                    {"a.csv": HEADER + rows})


def _flags(tmp_path: Path) -> list[str]:
    return ["--archive-root", str(tmp_path / "archive"), "--restore-root",
            str(tmp_path / "restore")]


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _day(tmp_path / "archive", 1)
    code = main(["backfill", "--start-date", "2024-03-01", "--end-date", "2024-03-02",
                 "--version", "v1", "--dry-run", *_flags(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "2024-03-01 | v1" in out and "MISSING" in out
    assert "2 of 2 run(s) will run under --rerun missing; 1 archive(s) missing" in out
    assert not (tmp_path / "restore").exists()


def test_backfill_refines_each_day_and_exits_1_when_one_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _day(tmp_path / "archive", 1)
    _day(tmp_path / "archive", 2)
    zip_with_entry(tmp_path / "archive" / "2024-03-03" / "hotpass-inputs-v1.zip", "/etc/x.csv")
    code = main(["backfill", "--start-date", "2024-03-01", "--end-date", "2024-03-03",
                 "--concurrency", "2", "--json", *_flags(tmp_path)])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert code == 1 and document["exit_code"] == 1
    assert [r["status"] for r in document["runs"]] == ["completed", "completed", "failed"]
    assert document["runs"][0]["records_out"] == 2
    assert "absolute path" in document["runs"][2]["error"]
    assert "[3/3]" in captured.err  # plain progress lines when stderr is not a terminal
    assert (tmp_path / "restore" / "outputs" / "refined-2024-03-02--v1.xlsx").is_file()

    code = main(["backfill", "--resume", document["backfill_id"], "--rerun", "failed",
                 *_flags(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "totals: 3 runs, 2 completed, 1 failed" in out
    assert f"--resume {document['backfill_id']}" in out


def test_config_file_supplies_defaults_and_flags_override(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _day(tmp_path / "elsewhere", 1)
    (tmp_path / "backfill.toml").write_text(
        '[orchestrator.backfill]\narchive_root = "elsewhere"\nrestore_root = "out"\n'
        'concurrency_limit = 1\narchive_pattern = "{date:%Y-%m-%d}/hotpass-inputs-{version}.zip"'
        '\n[pipeline]\nprofile = "generic"\n')
    code = main(["backfill", "--config", str(tmp_path / "backfill.toml"), "--start-date",
                 "2024-03-01", "--end-date", "2024-03-01", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["state_path"].startswith(str(tmp_path / "out"))
    code = main(["backfill", "--config", str(tmp_path / "backfill.toml"), "--start-date",
                 "2024-03-01", "--end-date", "2024-03-01", "--archive-root",
                 str(tmp_path / "nothing"), "--dry-run", "--json"])
    assert json.loads(capsys.readouterr().out)["missing_dates"] == ["2024-03-01"]


def test_bad_input_exits_2_with_a_message(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backfill", "--start-date", "2024-03-01", "--end-date", "2024-03-02",
                 "--archive-pattern", "../{date:%Y}/{version}.zip", "--version", "v1",
                 *_flags(tmp_path)])
    assert code == 2
    assert "outside the archive root" in capsys.readouterr().err
    (tmp_path / "bad.toml").write_text("[orchestrator.backfill]\nconcurency_limit = 2\n")
    assert main(["backfill", "--config", str(tmp_path / "bad.toml"), "--start-date",
                 "2024-03-01", "--end-date", "2024-03-01"]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_flow_body_falls_back_locally_and_fails_the_flow_on_a_failed_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_workers(target: PrefectTarget, concurrency: int) -> tuple[str, str, int]:
        raise NoWorkersOnline("no worker is online in work pool 'p'")

    monkeypatch.setattr("hotpass.backfill.prefect_fanout.prepare", no_workers)
    _day(tmp_path / "archive", 1)
    arguments = dict(
        since="2024-03-01", start_date=None, end_date="2024-03-01", versions=None, runs=None,
        archive_root=str(tmp_path / "archive"), restore_root=str(tmp_path / "restore"),
        archive_pattern="{date:%Y-%m-%d}/hotpass-inputs-{version}.zip", profile_name="generic",
        concurrency_limit=2, rerun="missing", backfill=True, incremental=False)
    summary = backfill_body(**arguments)  # type: ignore[arg-type]
    assert summary["totals"]["completed"] == 1 and summary["executor"] == "local"
    assert "locally" in summary["warnings"][0]
    with pytest.raises(WorkFailed, match="2024-03-02--v1"):
        backfill_body(**{**arguments, "end_date": None,  # type: ignore[arg-type]
                         "runs": [{"run_date": "2024-03-02", "version": "v1"}]})


def test_shipped_backfill_parameters_replay_the_week_ending_at_the_end_date(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    """prefect/backfill.yaml gives `since: null` and no start date: its weekly runs replay the
    7 days ending today (here: the end date), and the flow says so."""
    from ruamel.yaml import YAML

    shipped = YAML(typ="safe").load((REPO / "prefect" / "backfill.yaml").read_text())
    parameters = shipped["parameters"]
    assert parameters["since"] is None and "start_date" not in parameters

    def no_workers(target: PrefectTarget, concurrency: int) -> tuple[str, str, int]:
        raise NoWorkersOnline("no worker is online in work pool 'p'")

    monkeypatch.setattr("hotpass.backfill.prefect_fanout.prepare", no_workers)
    for day in (1, 7, 8):
        _day(tmp_path / "archive", day)
    arguments = {**parameters, "start_date": None, "end_date": "2024-03-08", "versions": None,
                 "runs": None, "archive_root": str(tmp_path / "archive"),
                 "restore_root": str(tmp_path / "restore"), "profile_name": "generic",
                 "rerun": "missing"}
    with caplog.at_level("INFO", logger="hotpass.backfill"):
        summary = backfill_body(**arguments)
    assert [r["run_date"] for r in summary["runs"]] == ["2024-03-07", "2024-03-08"]
    assert summary["missing_dates"][0] == "2024-03-02"  # 03-01 is outside the window
    assert "backfill window 2024-03-02 to 2024-03-08 (7 day(s)): no start date" in caplog.text

    code = main(["backfill", "--end-date", "2024-03-08", "--dry-run", *_flags(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0 and "2024-03-08 | v1" in captured.out and "2024-03-01" not in captured.out
    assert "note: backfill window 2024-03-02 to 2024-03-08 (7 day(s))" in captured.err


def test_invoke_stage_then_status(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "a.csv").write_text(HEADER + "Acme Air,Jo,jo@acme.example,acme.example,Gauteng\n")
    archive = str(tmp_path / "archive")

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).parent / "invoke"), *args], cwd=REPO,
                              capture_output=True, text=True, timeout=120)

    staged = invoke("backfill.stage", "--date", "2024-03-01", "--input-dir", str(inputs),
                    "--archive-root", archive, "--json")
    assert staged.returncode == 0, staged.stderr
    assert json.loads(staged.stdout)["archive_path"].endswith("2024-03-01/hotpass-inputs-v1.zip")
    ran = invoke("backfill.run", "--start-date", "2024-03-01", "--end-date", "2024-03-01",
                 "--archive-root", archive, "--restore-root", str(tmp_path / "restore"),
                 "--json")
    assert ran.returncode == 0, ran.stderr
    backfill_id = json.loads(ran.stdout)["backfill_id"]
    shown = invoke("backfill.status", backfill_id, "--restore-root", str(tmp_path / "restore"))
    assert shown.returncode == 0, shown.stderr
    assert "2024-03-01 | v1      | completed" in shown.stdout
    missing = invoke("backfill.status", "bf-nope", "--restore-root", str(tmp_path / "restore"))
    assert missing.returncode == 2 and "no backfill state" in missing.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_on_a_terminal_and_lines_otherwise() -> None:
    from hotpass.backfill.run import BackfillEvent
    from hotpass.backfill.state import RunRecord
    from hotpass.commands.backfill import Progress

    record = RunRecord(run_date="2024-03-01", version="v1", archive_path="a", output_path="o",
                       status="failed", seconds=1.25, error="archive not found: a")
    events = [BackfillEvent("warning", message="no worker is online"),
              BackfillEvent("start", message="local", total=1), BackfillEvent("run", record=record)]
    for stream, expected in ((_Terminal(), "1/1"), (io.StringIO(), "running 1 backfill run(s)")):
        progress = Progress(stream)
        for event in events:
            progress.on_event(event)
        progress.close()
        text = stream.getvalue()
        assert expected in text
        assert "warning: no worker is online" in text
        assert "2024-03-01--v1 failed in 1.2 s: archive not found: a" in text


def test_unreachable_prefect_exits_3_and_writes_no_state(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _day(tmp_path / "archive", 1)
    code = main(["backfill", "--start-date", "2024-03-01", "--end-date", "2024-03-01",
                 "--via-prefect", "--api-url", "http://hotpass:s3cret@127.0.0.1:9/api",
                 *_flags(tmp_path)])
    assert code == 3
    err = capsys.readouterr().err
    assert "cannot reach the Prefect API at http://hotpass:***@127.0.0.1:9/api" in err
    assert "s3cret" not in err
    assert list((tmp_path / "restore").glob("backfill-*.json")) == []
