"""`invoke deploy.*` from the project root, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hotpass.paths import PROJECT_ROOT

INVOKE = str(Path(sys.executable).parent / "invoke")


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([INVOKE, "--search-root", str(PROJECT_ROOT), *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_list_shows_the_deploy_collection() -> None:
    listing = invoke("--list").stdout
    assert "deploy.validate" in listing and "deploy.export" in listing


def test_export_writes_payloads(tmp_path: Path) -> None:
    result = invoke("deploy.export", "--flow", "backfill", "--output-dir", str(tmp_path),
                    "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["deployments"][0]["id"] == "backfill"
    assert json.loads((tmp_path / "backfill.json").read_text())["name"] == "hotpass-backfill"


def test_validate_reports_bad_manifests_with_exit_2() -> None:
    cases = PROJECT_ROOT / "tests" / "manifests" / "cases" / "unknown_field" / "prefect"
    result = invoke("deploy.validate", "--manifest-dir", str(cases))
    assert result.returncode == 2
    assert "unknown.yaml:4:1: retries: unknown field" in result.stderr


def test_plan_and_apply_offer_the_cache_bypass() -> None:
    for name in ("deploy.plan", "deploy.apply"):
        assert "--no-cache" in invoke("--help", name).stdout
