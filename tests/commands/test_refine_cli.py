"""`hotpass refine` as a user runs it: a real process on the committed sample data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine

REPO = Path(__file__).resolve().parents[2]
HOTPASS = [sys.executable, "-m", "hotpass.cli"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOTPASS, "refine", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "data", tmp_path / "data")
    return tmp_path


def test_sample_data_with_archive(workdir: Path) -> None:
    args = ("--input-dir", "data", "--output-path", "dist/refined.xlsx", "--profile",
            "aviation", "--archive")
    done = _run(*args, cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "organisations" in done.stdout and "archive: dist/archive/" in done.stdout
    book = python_calamine.CalamineWorkbook.from_path(str(workdir / "dist" / "refined.xlsx"))
    assert book.sheet_names == ["refined", "issues", "summary"]
    refined = book.get_sheet_by_name("refined").to_python()
    assert len(refined) > 100
    again = _run(*args, "--json", cwd=workdir)
    summary = json.loads(again.stdout)
    assert summary["archive_path"].endswith("hotpass-inputs-v2.zip")
    assert {i["path"] for i in summary["inputs"]} == {
        "brokers-cp1252.csv", "crm-export.xlsx", "hand-kept-leads.xlsx",
        "regulator-register.xlsx"}
    assert all(e["passed"] for e in summary["expectations"])
    for key in ("records_in", "records_out", "rejected", "duplicates_merged", "timings"):
        assert key in summary
    with zipfile.ZipFile(workdir / summary["archive_path"]) as bundle:
        assert "SHA256SUMS" in bundle.namelist()


def test_bad_arguments_exit_2(workdir: Path) -> None:
    bad_profile = _run("--input-dir", "data", "--output-path", "out.xlsx", "--profile", "nope",
                       cwd=workdir)
    assert bad_profile.returncode == 2
    assert "unknown profile 'nope'" in bad_profile.stderr
    missing = _run("--input-dir", "missing", "--output-path", "out.xlsx", cwd=workdir)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad_since = _run("--input-dir", "data", "--output-path", "o.xlsx", "--incremental",
                     "--since", "yesterday", cwd=workdir)
    assert bad_since.returncode == 2 and "not an ISO date" in bad_since.stderr
    full_since = _run("--input-dir", "data", "--output-path", "o.xlsx", "--since", "2026-01-31",
                      cwd=workdir)
    assert full_since.returncode == 2
    assert "--since only applies to an incremental run" in full_since.stderr
    assert "add --incremental, or drop --since" in full_since.stderr
    assert not (workdir / "o.xlsx").exists()


def test_bad_profile_file_exits_2_with_file_and_line(workdir: Path) -> None:
    (workdir / "p.yaml").write_text("name: p\nfields: {}\nrequired: []\nextra: 1\n")
    done = _run("--input-dir", "data", "--output-path", "o.xlsx", "--profile", "p.yaml",
                "--json", cwd=workdir)
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["error"] == "ProfileError"
    assert "p.yaml:1:" in error["message"]


def test_failed_expectation_exits_1_with_output_written(workdir: Path) -> None:
    (workdir / "strict.yaml").write_text(
        "name: strict\nfields:\n  organization_name: {type: text, synonyms: [company, "
        "organisation, operator name, organisation name]}\nrequired: [organization_name]\n"
        "expectations:\n  - {name: a million organisations, metric: records_out, "
        "min: 1000000}\n")
    done = _run("--input-dir", "data", "--output-path", "dist/r.csv", "--profile",
                "strict.yaml", cwd=workdir)
    assert done.returncode == 1
    assert "FAIL" in done.stdout
    assert (workdir / "dist" / "r.csv").stat().st_size > 0
