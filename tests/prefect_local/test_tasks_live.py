"""`invoke server.*`, `worker.up` and `deploy.plan|apply` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.paths import PROJECT_ROOT
from hotpass.prefect_local.process import free_port

INVOKE = str(Path(sys.executable).parent / "invoke")


def invoke(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([INVOKE, "--search-root", str(PROJECT_ROOT), *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180, check=False,
                          env={**os.environ, **(env or {})})


def test_list_shows_server_worker_and_deploy_tasks():
    listing = invoke("--list").stdout
    for name in ("server.up", "server.down", "server.status", "worker.up", "deploy.plan",
                 "deploy.apply"):
        assert name in listing


def test_status_without_a_server_exits_3(tmp_path):
    result = invoke("server.status", "--home", str(tmp_path),
                    env={"PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"})
    assert result.returncode == 3
    assert "NOT reachable" in result.stdout


@pytest.mark.integration
def test_deploy_plan_task_against_the_server(prefect_server, tmp_path):
    (tmp_path / "one.yaml").write_text(
        "id: one\nname: task-plan-one\nflow: hotpass.orchestration:refinement_pipeline_flow\n"
        "parameters: {incremental: true, backfill: false}\n")
    result = invoke("deploy.plan", "--manifest-dir", str(tmp_path), "--api-url",
                    prefect_server.api_url, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["deployments"]
    assert [(r["id"], r["action"]) for r in rows] == [("one", "create")]
