"""`hotpass deploy` through the real entry point, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hotpass.cli import COMMAND_MODULES
from hotpass.paths import MANIFEST_DIR, PROJECT_ROOT

HOTPASS = str(Path(sys.executable).parent / "hotpass")
CASES = PROJECT_ROOT / "tests" / "manifests" / "cases"


def hotpass(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run([HOTPASS, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_export_writes_byte_identical_payloads(tmp_path: Path) -> None:
    shutil.copytree(MANIFEST_DIR, tmp_path / "prefect")
    first = hotpass("deploy", "--no-upload", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "dist" / "offline" / "prefect"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["backfill.json", "refinement.json"]
    assert json.loads(before["refinement.json"])["name"] == "hotpass-refinement"
    again = hotpass("deploy", "--no-upload", "--json", cwd=tmp_path)
    assert again.returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    rows = json.loads(again.stdout)["deployments"]
    assert [(r["id"], r["action"]) for r in rows] == [("backfill", "exported"),
                                                     ("refinement", "exported")]


def test_dry_run_no_upload_writes_nothing(tmp_path: Path) -> None:
    shutil.copytree(MANIFEST_DIR, tmp_path / "prefect")
    result = hotpass("deploy", "--dry-run", "--no-upload", "--flow", "refinement", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "refinement | hotpass-refinement-pipeline/hotpass-refinement | validated" in (
        result.stdout)
    assert "backfill" not in result.stdout
    assert not (tmp_path / "dist").exists()


def test_overlay_set_and_output_dir(tmp_path: Path) -> None:
    result = hotpass("deploy", "--no-upload", "--manifest-dir", str(MANIFEST_DIR / "staging"),
                     "--output-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads((tmp_path / "out" / "backfill.json").read_text())
    assert payload["work_pool_name"] == "hotpass-staging"
    assert "staging" in payload["tags"]


def test_unknown_flow_id_exits_2_listing_known_ids(tmp_path: Path) -> None:
    result = hotpass("deploy", "--no-upload", "--manifest-dir", str(MANIFEST_DIR),
                     "--flow", "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope" in result.stderr and "backfill, refinement" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_manifest_exits_2_with_file_and_line_and_no_traceback(tmp_path: Path) -> None:
    result = hotpass("deploy", "--no-upload", "--json", "--manifest-dir",
                     str(CASES / "wrong_type" / "prefect"), cwd=tmp_path)
    assert result.returncode == 2
    assert "types.yaml:4:1: concurrency_limit" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["problems"]
    assert not (tmp_path / "dist").exists()


def test_help_does_not_import_prefect(tmp_path: Path) -> None:
    commands = [[], *([name] for name in COMMAND_MODULES), ["worker"], ["server", "start"]]
    probe = ("import sys\nfrom hotpass.cli import main\n"
             f"for argv in {[[*c, '--help'] for c in commands]!r}:\n"
             "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
             "    else:\n        print('NO EXIT', argv)\n"
             "heavy = [m for m in ('prefect', 'ruamel', 'jsonschema', 'pandas', 'rich', 'invoke')\n"
             "         if m in sys.modules]\n"
             "print('HEAVY', heavy)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=tmp_path, check=True)
    assert "usage: hotpass backfill" in result.stdout  # every command's help really printed
    assert "NO EXIT" not in result.stdout
    assert "HEAVY []" in result.stdout
