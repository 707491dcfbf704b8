"""`invoke offline.run`: the bundle, its replayable cli.sh, failures that still leave evidence,
and no secret or contact data in any artefact."""

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
from hotpass.bundles.summary import validate_summary

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXPECTED = [".env.local", "cli.log", "cli.sh", "data-docs/index.html", "prefect/backfill.json",
            "prefect/refinement.json", "qa-report.json", "refined.xlsx", "summary.json",
            "SHA256SUMS"]
SECRETS = {"PREFECT_API_KEY": "pnu_TestKeyValue0123456789abcdef",
           "HOTPASS_DATABASE_URL": "postgresql://hotpass:Sup3rS3cretPw@db.example.org/hp",
           "GITHUB_TOKEN": "ghp_TestTokenValue0123456789abcdefXYZ"}


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "data", tmp_path / "data")
    shutil.copytree(REPO / "prefect", tmp_path / "prefect")
    return tmp_path


def offline_run(cwd: Path, *args: str, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "invoke"), "-r", str(REPO), "offline.run", *args],
                          cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
                               **(env or {})})


def cells(path: Path) -> dict[str, list[list[object]]]:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    # the summary sheet carries the run id and timings; the data sheets must match exactly
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names
            if name != "summary"}


def test_bundle_is_complete_and_replayable(workdir: Path) -> None:
    proc = offline_run(workdir, env=SECRETS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "offline bundle: dist/offline/ (passed)" in proc.stdout
    assert "  dist/offline/refined.xlsx\n" in proc.stdout
    assert "replay by hand: sh dist/offline/cli.sh" in proc.stdout
    bundle = workdir / "dist" / "offline"
    for name in EXPECTED:
        assert (bundle / name).is_file(), name
    assert list((bundle / "archive").glob("*/hotpass-inputs-v1.zip"))
    summary = json.loads((bundle / "summary.json").read_text())
    validate_summary(summary)
    assert summary["status"] == "passed" and summary["failed_step"] is None
    assert [s["name"] for s in summary["steps"]] == ["env", "refine", "qa", "deploy-plan",
                                                     "deploy-export"]
    assert summary["qa"]["status"] in ("pass", "warn")
    assert any(o["id"].startswith("data.expectations.") for o in summary["qa"]["outcomes"])
    assert summary["counts"]["records_out"] > 0
    assert {i["path"] for i in summary["inputs"]} == {
        f"data/{p.name}" for p in (workdir / "data").iterdir()}
    assert verify_checksums(bundle) == []
    _assert_no_secrets(workdir / "dist", bundle)

    before = _outputs(bundle)
    for name in (".env.local", "qa-report.json", "refined.xlsx", "data-docs"):
        path = bundle / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.rmtree(bundle / "prefect")
    shutil.rmtree(bundle / "archive")
    replay = subprocess.run(["sh", str(bundle / "cli.sh")], cwd="/", capture_output=True,
                            text=True, check=False,
                            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert _outputs(bundle) == before


def _outputs(bundle: Path) -> dict[str, object]:
    report = json.loads((bundle / "qa-report.json").read_text())
    for check in report["checks"]:
        check["evidence"].pop("sha256", None)  # zip bytes carry the archive time
    return {"env": (bundle / ".env.local").read_bytes(),
            "prefect": {p.name: p.read_bytes() for p in (bundle / "prefect").iterdir()},
            "qa": report,
            "docs": re.sub(r"[0-9a-f]{64}", "", (bundle / "data-docs/index.html").read_text()),
            "refined": cells(bundle / "refined.xlsx")}


def _assert_no_secrets(dist: Path, bundle: Path) -> None:
    values = [*SECRETS.values(), "Sup3rS3cretPw"]
    for path in dist.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for value in values:
                assert value.encode() not in data, f"{value} leaked into {path}"
    log = (bundle / "cli.log").read_text()
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", log), "an e-mail address in cli.log"
    assert not re.search(r"\+\d{9,15}", log), "a phone number in cli.log"


def test_failed_step_leaves_log_and_summary(workdir: Path) -> None:
    shutil.rmtree(workdir / "data")
    proc = offline_run(workdir)
    assert proc.returncode == 2
    assert "input folder data does not exist" in proc.stdout + proc.stderr
    bundle = workdir / "dist" / "offline"
    summary = json.loads((bundle / "summary.json").read_text())
    validate_summary(summary)
    assert summary["status"] == "failed" and summary["failed_step"] == "refine"
    assert [s["status"] for s in summary["steps"]] == ["ok", "failed"]
    assert "input folder data does not exist" in summary["steps"][1]["message"]
    assert "step refine: failed (exit 2" in (bundle / "cli.log").read_text()
    assert verify_checksums(bundle) == []


def test_failing_qa_stops_before_export(workdir: Path) -> None:
    manifest = workdir / "prefect" / "refinement.yaml"
    manifest.write_text(manifest.read_text().replace("  backfill: false\n", ""))
    proc = offline_run(workdir, "--json")
    assert proc.returncode == 1
    document = json.loads(proc.stdout)
    assert document["failed_step"] == "qa"
    bundle = workdir / "dist" / "offline"
    assert not (bundle / "prefect").exists()
    assert json.loads((bundle / "qa-report.json").read_text())["status"] == "fail"


def test_bootstrap_writes_env_after_dry_run(workdir: Path) -> None:
    proc = subprocess.run([str(BIN / "invoke"), "-r", str(REPO), "offline.bootstrap"],
                          cwd=workdir, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.index("dry run: would write") < proc.stdout.index("wrote ")
    assert "HOTPASS_ALLOW_NETWORK=false" in (workdir / "dist/offline/.env.local").read_text()


def test_refuses_to_empty_a_folder_that_is_not_a_bundle(workdir: Path) -> None:
    target = workdir / "precious"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    proc = offline_run(workdir, "--bundle-dir", str(target))
    assert proc.returncode == 2
    assert (target / "keep.txt").read_text() == "keep"


def test_interrupt_still_writes_the_summary(workdir: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    from hotpass import offline

    def interrupted(request: offline.OfflineRequest) -> offline.Step:
        def call() -> object:
            raise KeyboardInterrupt

        return ("refine", ["hotpass", "refine"], call)

    monkeypatch.chdir(workdir)
    monkeypatch.setattr(offline, "refine_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        offline.run_offline(offline.OfflineRequest())
    summary = json.loads((workdir / "dist/offline/summary.json").read_text())
    assert summary["failed_step"] == "interrupted"
    assert summary["steps"][-1]["exit_code"] == 130
    assert verify_checksums(workdir / "dist/offline") == []


def test_shell_script_runs_from_a_copy_of_the_project(workdir: Path) -> None:
    for name in ("scripts", "tasks.py"):
        source = REPO / name
        shutil.copytree(source, workdir / name) if source.is_dir() else \
            shutil.copy(source, workdir / name)
    (workdir / ".venv").symlink_to(BIN.parent)
    proc = subprocess.run(["sh", str(workdir / "scripts" / "offline_fallback.sh"),
                           "--no-archive"], cwd="/", capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((workdir / "dist/offline/summary.json").read_text())
    assert summary["status"] == "passed"
    assert not (workdir / "dist/offline/archive").exists()


def test_replaces_a_plain_deploy_export(workdir: Path) -> None:
    stale = workdir / "dist" / "offline" / "prefect" / "old.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    proc = offline_run(workdir, "--no-archive")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not stale.exists()
    assert sorted(p.name for p in stale.parent.iterdir()) == ["backfill.json", "refinement.json"]
