"""`invoke rehearse.staging`: guardrail arithmetic, a failing rehearsal that still leaves its
bundle (no server needed), and one real rehearsal on a local server it starts and stops."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.bundles.checksums import verify_checksums
from hotpass.bundles.flowruns import (
    _describe,
    _entries,
    export_run_logs,
    find_backfill_state,
    guardrails,
    max_overlap,
)
from hotpass.bundles.summary import validate_summary
from hotpass.prefect_local.process import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRETS = {"PREFECT_API_KEY": "pnu_RehearsalKey0123456789abcdef",
           "HOTPASS_SERVICE_TOKEN": "tok-Rehearsal-0123456789"}


def run(start: float, end: float, state: str = "Completed", name: str = "r") -> dict[str, object]:
    return {"id": name, "name": name, "state": state, "_start": start, "_end": end}


def test_max_overlap_counts_runs_in_flight() -> None:
    assert max_overlap([]) == 0
    assert max_overlap([run(0, 10), run(5, 15), run(6, 7), run(20, 30)]) == 3
    assert max_overlap([run(0, 10), run(10, 20)]) == 1  # back to back is not overlap


def test_backfill_children_overlap_by_the_time_they_held_their_slot() -> None:
    """Children start up ahead of the cap (their flow runs overlap by more than the limit);
    the guardrail counts the work, timed by the slot each child recorded on its labels."""
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from hotpass.backfill.slot import LABEL_FINISHED, LABEL_STARTED

    zero = datetime(2024, 3, 1, tzinfo=UTC)

    def child(name: str, slot: tuple[int, int]) -> object:
        def at(second: int) -> str:
            return (zero + timedelta(seconds=second)).isoformat().replace("+00:00", "Z")

        return SimpleNamespace(id=name, name=name, state=SimpleNamespace(name="Completed"),
                               start_time=zero, end_time=zero + timedelta(seconds=30),
                               labels={LABEL_STARTED: at(slot[0]), LABEL_FINISHED: at(slot[1])})

    runs = [_describe(child(n, slot), "p") for n, slot in
            (("a", (5, 10)), ("b", (6, 12)), ("c", (10, 15)), ("d", (12, 20)))]
    assert max_overlap(runs) == 2  # the flow runs themselves all overlap (4)
    assert runs[0]["slot_started_at"] == "2024-03-01T00:00:05Z"
    assert runs[0]["started_at"] == "2024-03-01T00:00:00Z"


def test_guardrails_fail_on_overlap_failed_child_and_empty_output() -> None:
    runs = [run(0, 100, name="parent"), run(1, 10, name="a"), run(2, 9, "Failed", "b"),
            run(3, 8, name="c")]
    rows = [{"run_date": "2026-01-01", "version": "v1", "status": "completed", "records_out": 0}]
    verdicts = {g["id"]: g["status"] for g in guardrails(runs, 2, rows)}
    assert verdicts == {"run.completed": "pass", "children.completed": "fail",
                        "concurrency.overlap": "fail", "datasets.records": "fail"}
    ok = guardrails([run(0, 9, name="p"), run(1, 2, name="a")], 2,
                    [{"run_date": "d", "version": "v1", "status": "completed",
                      "records_out": 5}])
    assert {g["status"] for g in ok} == {"pass"}


def test_log_entries_keep_continuation_lines() -> None:
    text = "t1 | INFO | a | one\n    more\nt2 | INFO | b | two\n"
    assert _entries(text) == ["t1 | INFO | a | one\n    more\n", "t2 | INFO | b | two\n"]


def test_exported_logs_are_masked_before_their_only_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """prefect.log is written once, already masked: an interruption never leaves contact data
    or secrets in the bundle."""
    import hotpass.fsutil
    import hotpass.prefect_local.logs

    raw = {"p": f"t2 | INFO | run | key {SECRETS['HOTPASS_SERVICE_TOKEN']}\n",
           "c": "t1 | INFO | row | ann@example.org +27821234567\n    at 011 555 1234\n"}

    def fake_export(client: object, run_id: str, dest: Path, **_: object) -> int:
        dest.write_text(raw[run_id], encoding="utf-8")
        return 1

    writes: list[str] = []
    real_write = hotpass.fsutil.atomic_write_text

    def recording_write(path: Path, text: str) -> Path:
        writes.append(text)
        return real_write(path, text)

    monkeypatch.setattr(hotpass.prefect_local.logs, "export_logs", fake_export)
    monkeypatch.setattr(hotpass.fsutil, "atomic_write_text", recording_write)
    dest = tmp_path / "prefect.log"
    assert export_run_logs(object(), ["p", "c"], dest, SECRETS.values()) == 2
    text = dest.read_text(encoding="utf-8")
    assert writes == [text]
    assert text.startswith("t1 | INFO | row | ")
    for leaked in (SECRETS["HOTPASS_SERVICE_TOKEN"], "ann@example.org", "27821234567",
                   "555 1234"):
        assert leaked not in text


def test_find_backfill_state_by_child_run(tmp_path: Path) -> None:
    (tmp_path / "backfill-a.json").write_text(json.dumps({"runs": [{"flow_run_id": "x"}]}))
    (tmp_path / "backfill-b.json").write_text(json.dumps({"runs": [{"flow_run_id": "y"}]}))
    (tmp_path / "backfill-c.json").write_text("not json")
    assert find_backfill_state(tmp_path, {"y"}) == {"runs": [{"flow_run_id": "y"}]}
    assert find_backfill_state(tmp_path, {"z"}) is None
    assert find_backfill_state(tmp_path / "missing", {"y"}) is None


def rehearse(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "invoke"), "-r", str(REPO), "rehearse.staging", *args],
                          cwd=cwd, capture_output=True, text=True, check=False, timeout=900,
                          env={**os.environ, **SECRETS, "PATH": f"{BIN}:{os.environ['PATH']}"})


def only_bundle(workdir: Path) -> Path:
    bundles = list((workdir / "dist" / "staging" / "backfill").iterdir())
    assert len(bundles) == 1
    assert re.fullmatch(r"\d{8}T\d{6}Z", bundles[0].name)
    return bundles[0]


def assert_clean(workdir: Path, proc: subprocess.CompletedProcess[str],
                 extra: tuple[str, ...] = ()) -> None:
    values = [*SECRETS.values(), *extra]
    for path in (workdir / "dist").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [v for v in values if v.encode() in data], path
    assert not [v for v in values if v in proc.stdout + proc.stderr]
    for name in ("cli.log", "prefect.log"):
        for path in (workdir / "dist").rglob(name):
            text = path.read_text()
            assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), f"e-mail in {path}"
            assert not re.search(r"\+\d{9,15}", text), f"phone in {path}"


def test_unreachable_staging_still_leaves_the_bundle(tmp_path: Path) -> None:
    shutil.copytree(REPO / "prefect", tmp_path / "prefect")
    url = f"http://robot:Pa55-Staging-Word@127.0.0.1:{free_port()}/api"
    proc = rehearse(tmp_path, "--api-url", url, "--since", "2026-01-01")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "deploy-plan" in proc.stderr
    bundle = only_bundle(tmp_path)
    summary = json.loads((bundle / "summary.json").read_text())
    validate_summary(summary)
    assert summary["status"] == "failed" and summary["failed_step"] == "deploy-plan"
    assert summary["prefect"]["api_url"] == url.replace("Pa55-Staging-Word", "***")
    assert summary["qa"]["status"] == "pass"
    assert verify_checksums(bundle) == []
    assert "--api-url 'http://robot:***@127.0.0.1:" in (bundle / "cli.sh").read_text()
    assert_clean(tmp_path, proc, ("Pa55-Staging-Word",))


def test_staging_url_precedence(tmp_path: Path) -> None:
    from hotpass.errors import UsageError
    from hotpass.rehearse import resolve_staging_url

    env_file = tmp_path / ".env.staging"
    assert resolve_staging_url(None, None, env_file) is None
    env_file.write_text("# staging\nPREFECT_API_URL=https://env.example.org/api\n")
    assert resolve_staging_url(None, None, env_file) == "https://env.example.org/api"
    assert resolve_staging_url(None, "https://conf.example.org/api", env_file) == \
        "https://conf.example.org/api"
    assert resolve_staging_url("https://flag.example.org/api", "https://conf.example.org/api",
                               env_file) == "https://flag.example.org/api"
    assert resolve_staging_url(None, None, tmp_path / "missing.env") is None
    with pytest.raises(UsageError):
        resolve_staging_url("https://flag.example.org/api\nX=1", None, env_file)
    env_file.write_text("PREFECT_API_URL=ftp://env.example.org\n")
    with pytest.raises(UsageError):
        resolve_staging_url(None, None, env_file)


def test_task_reads_the_configured_url_then_the_env_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env.staging").write_text("PREFECT_API_URL=ftp://env.example.org/api\n")
    proc = rehearse(tmp_path)
    assert proc.returncode == 2 and "ftp://env.example.org/api" in proc.stderr, proc.stderr
    monkeypatch.setenv("INVOKE_REHEARSE_API_URL", "ftp://conf.example.org/api")
    proc = rehearse(tmp_path)
    assert proc.returncode == 2 and "ftp://conf.example.org/api" in proc.stderr, proc.stderr
    assert not (tmp_path / "dist").exists()


def test_exit_code_follows_steps_then_guardrails() -> None:
    from hotpass.bundles.transcript import StepRecord
    from hotpass.rehearse import RehearsalResult

    def step(status: str, code: int) -> StepRecord:
        return StepRecord("s", "", status, code, "t", "t", 0.0)

    passed = {"status": "passed", "failed_step": None}
    assert RehearsalResult(Path("b"), passed, (step("ok", 0),)).exit_code == 0
    assert RehearsalResult(Path("b"), {**passed, "status": "failed"}, (step("ok", 0),)
                           ).exit_code == 1
    assert RehearsalResult(Path("b"), passed, (step("ok", 0), step("failed", 3))).exit_code == 3
