"""`invoke rehearse.staging --api-url URL` against a running staging server: it uses that server
and its workers, leaves them running, and the bundle holds the evidence."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotpass.bundles.checksums import verify_checksums
from hotpass.bundles.summary import validate_summary
from hotpass.prefect_local.server import ServerHandle, server_status, start_server, stop_server
from hotpass.prefect_local.worker import start_worker, stop_worker

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project with today's inputs archived, as the daily refinement leaves it."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    shutil.copytree(REPO / "prefect", tmp_path / "prefect")
    subprocess.run([str(BIN / "hotpass"), "refine", "--input-dir", "data", "--output-path",
                    "dist/refined.xlsx", "--profile", "aviation", "--archive"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=300)
    return tmp_path


@pytest.fixture
def staging(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A dedicated server (the shared one holds other tests' deployments of the same names) with
    a worker on the staging pool, serving the project copy."""
    home = tmp_path_factory.mktemp("staging-home")
    server = start_server(home, timeout=120)
    worker = start_worker(server.api_url, "hotpass-staging", limit=4, home=home, cwd=project,
                          timeout=120)
    try:
        yield server
    finally:
        stop_worker(worker)
        stop_server(server)


@pytest.mark.integration
def test_rehearsal_targets_the_given_server_and_leaves_it_running(
        project: Path, staging: ServerHandle) -> None:
    today = datetime.now(UTC).date().isoformat()
    proc = subprocess.run([str(BIN / "invoke"), "-r", str(REPO), "rehearse.staging",
                           "--api-url", staging.api_url, "--since", today],
                          cwd=project, capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    (bundle,) = (project / "dist" / "staging" / "backfill").iterdir()
    summary = json.loads((bundle / "summary.json").read_text())
    validate_summary(summary)
    assert verify_checksums(bundle) == []
    assert {g["status"] for g in summary["guardrails"]} == {"pass"}
    assert summary["prefect"]["api_url"] == staging.api_url
    steps = [s["name"] for s in summary["steps"]]
    assert not {"server-start", "worker-start", "server-stop", "worker-stop"} & set(steps)
    assert summary["datasets"] and summary["datasets"][0]["run_date"] == today
    assert f"--api-url {staging.api_url}" in (bundle / "cli.sh").read_text()
    assert "hotpass-backfill-pipeline" in (bundle / "prefect.log").read_text()
    assert server_status(staging.api_url).healthy  # not ours to stop
    # no local server or worker was started (.hotpass/cache, the deploy cache, may exist)
    started = [p.name for p in (project / ".hotpass").glob("*") if p.name != "cache"]
    assert started == []  # no server/worker state, logs or PREFECT_HOME
