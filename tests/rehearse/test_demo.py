"""`make demo` (python -m hotpass.tasks.demo) end to end in a fresh copy of the project: local
server and worker, apply, refinement through the worker, staging rehearsal over the archives it
made, offline fallback — three bundles, schema-valid, no secrets, nothing left running."""

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
SECRETS = {"PREFECT_API_KEY": "pnu_DemoKeyValue0123456789abcdef",
           "HOTPASS_DATABASE_URL": "postgresql://hotpass:Demo-Db-Pa55@db.example.org/hp",
           "HOTPASS_SERVICE_TOKEN": "tok-Demo-0123456789"}


@pytest.mark.integration
def test_demo_end_to_end(tmp_path: Path) -> None:
    shutil.copytree(REPO / "data", tmp_path / "data")
    shutil.copytree(REPO / "prefect", tmp_path / "prefect")
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run([sys.executable, "-m", "hotpass.tasks.demo"], cwd=tmp_path,
                          capture_output=True, text=True, check=False, timeout=900,
                          env={**os.environ, **SECRETS, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "demo passed. Artefacts:" in proc.stdout
    dist = tmp_path / "dist"
    assert (dist / "refined.xlsx").is_file()
    assert list((dist / "archive").glob("*/hotpass-inputs-v1.zip"))

    rehearsal = _rehearsal_summary(dist)
    assert {g["id"]: g["status"] for g in rehearsal["guardrails"]} == {
        "run.completed": "pass", "children.completed": "pass", "concurrency.overlap": "pass",
        "datasets.records": "pass"}
    assert rehearsal["concurrency"]["limit"] == 2
    assert 1 <= rehearsal["concurrency"]["max_observed"] <= 2
    assert rehearsal["datasets"][0]["records_out"] > 0
    assert len(rehearsal["prefect"]["flow_runs"]) >= 2
    steps = [s["name"] for s in rehearsal["steps"]]
    assert steps.index("deploy-plan") < steps.index("deploy-apply") < steps.index("run-backfill")

    for bundle in (dist / "offline", dist / "demo"):
        summary = json.loads((bundle / "summary.json").read_text())
        validate_summary(summary)
        assert summary["status"] == "passed", bundle
        assert verify_checksums(bundle) == []
    demo_steps = [s["name"] for s in json.loads((dist / "demo/summary.json").read_text())["steps"]]
    assert demo_steps[-2:] == ["worker-stop", "server-stop"]
    assert not list((tmp_path / ".hotpass").glob("*.json"))  # nothing left running
    _assert_clean(dist, proc)


def _rehearsal_summary(dist: Path) -> dict[str, object]:
    bundles = list((dist / "staging" / "backfill").iterdir())
    assert len(bundles) == 1 and re.fullmatch(r"\d{8}T\d{6}Z", bundles[0].name)
    bundle = bundles[0]
    for name in ("prefect.log", "summary.json", "cli.sh", "cli.log", "SHA256SUMS"):
        assert (bundle / name).is_file(), name
    assert verify_checksums(bundle) == []
    assert "hotpass-backfill-pipeline" in (bundle / "prefect.log").read_text()
    summary: dict[str, object] = json.loads((bundle / "summary.json").read_text())
    validate_summary(summary)
    return summary


def _assert_clean(dist: Path, proc: subprocess.CompletedProcess[str]) -> None:
    values = [*SECRETS.values(), "Demo-Db-Pa55"]
    for path in dist.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [v for v in values if v.encode() in data], path
    assert not [v for v in values if v in proc.stdout + proc.stderr]
    for name in ("cli.log", "prefect.log"):
        for path in dist.rglob(name):
            text = path.read_text()
            assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), f"e-mail in {path}"
            assert not re.search(r"\+\d{9,15}", text), f"phone in {path}"
