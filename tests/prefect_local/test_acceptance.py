"""`hotpass qa ta`'s library function end to end: throw-away server and worker, shipped
manifests, one refinement run on the sample data (its own server, like a user's run)."""

from __future__ import annotations

import pytest

from hotpass.commands.qa import render_ta
from hotpass.paths import MANIFEST_DIR, PROJECT_ROOT
from hotpass.prefect_local.acceptance import run_technical_acceptance
from hotpass.prefect_local.server import running_server


@pytest.mark.integration
def test_technical_acceptance_passes_and_stops_what_it_started(tmp_path):
    result = run_technical_acceptance(PROJECT_ROOT, MANIFEST_DIR, PROJECT_ROOT / "data",
                                      tmp_path / "ta")
    statuses = {c.id: c.status for c in result.checks}
    assert statuses == dict.fromkeys(
        ("ta.server", "ta.deploy", "ta.redeploy", "ta.worker", "ta.run", "ta.output",
         "ta.logs"), "pass"), result.to_json()
    assert result.exit_code == 0
    assert (tmp_path / "ta" / "refined.xlsx").stat().st_size > 0
    assert "technical acceptance passed" in render_ta(result)
    assert running_server(tmp_path / "ta" / "home") is None
