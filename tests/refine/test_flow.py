"""`refinement_pipeline_flow` on a real local Prefect server: ingest / refine / write task runs,
the JSON summary, and the incremental checkpoint kept in a Prefect Variable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, sys
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.variables import Variable
from hotpass.orchestration import refinement_pipeline_flow
from hotpass.refine.checkpoint import checkpoint_key
from pathlib import Path

kwargs = dict(input_dir="data", output_path="dist/refined.xlsx", profile_name="aviation",
              dist_dir="dist", incremental=True, archive=True)
first = refinement_pipeline_flow(**kwargs)
second = refinement_pipeline_flow(**kwargs)
key = checkpoint_key(Path("data"), Path("dist/refined.xlsx"), "aviation")
with get_client(sync_client=True) as client:
    runs = client.read_task_runs()
    names = sorted({r.name.rsplit("-", 1)[0] for r in runs})
print(json.dumps({"first": first, "second": second, "variable": Variable.get(key),
                  "tasks": names}))
"""


@pytest.mark.integration
def test_flow_runs_tasks_and_keeps_checkpoint_in_a_variable(prefect_server: Any,
                                                             tmp_path: Path) -> None:
    shutil.copytree(REPO / "data", tmp_path / "data")
    env = {**os.environ, **prefect_server.env}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    first, second = report["first"], report["second"]
    assert first["exit_code"] == 0 and first["records_out"] > 100
    assert len(first["files_read"]) == 4 and second["files_read"] == []
    assert second["records_out"] == first["records_out"]
    assert first["archive_path"].endswith("hotpass-inputs-v1.zip")
    assert report["variable"]["run_id"] == second["run_id"]
    assert {"ingest", "refine", "write"} <= set(report["tasks"])
    assert not list((tmp_path / "dist" / "state").glob("hotpass-refine-*.json"))
