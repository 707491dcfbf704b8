"""`invoke qa.*` as a user runs it: each task uses only the options it exposes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hotpass.paths import PROJECT_ROOT

INVOKE = str(Path(sys.executable).parent / "invoke")


def test_manifests_writes_its_report_and_no_data_docs(tmp_path: Path) -> None:
    result = subprocess.run(
        [INVOKE, "--search-root", str(PROJECT_ROOT), "qa.manifests", "--manifest-dir",
         str(PROJECT_ROOT / "prefect"), "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["suites"] == ["manifests"]
    assert (tmp_path / "dist" / "qa-report.json").is_file()
    assert not (tmp_path / "dist" / "data-docs").exists()
