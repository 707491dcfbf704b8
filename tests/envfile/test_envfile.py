"""`hotpass env`: flag forms, URL validation, no line injection, --force, --dry-run masking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.envfile import EnvFileRequest, read_env_file, validate_url, write_env_file
from hotpass.errors import UsageError

HOTPASS = [sys.executable, "-m", "hotpass.cli"]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOTPASS, "env", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)


@pytest.mark.parametrize(("flags", "expected"), [
    ([], "false"),
    (["--allow-network"], "true"),
    (["--no-allow-network"], "false"),
    (["--allow-network=false"], "false"),
    (["--allow-network=true"], "true"),
    (["--allow-network", "--no-allow-network"], "false"),
])
def test_allow_network_flag_forms(tmp_path: Path, flags: list[str], expected: str) -> None:
    proc = run_cli("--target", "local", *flags, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_env_file(tmp_path / ".env.local") == {
        "HOTPASS_ENV": "local", "HOTPASS_ALLOW_NETWORK": expected}


def test_bad_boolean_exits_2(tmp_path: Path) -> None:
    proc = run_cli("--target", "local", "--allow-network=maybe", cwd=tmp_path)
    assert proc.returncode == 2
    assert "expected true or false" in proc.stderr
    assert not (tmp_path / ".env.local").exists()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:4200/api\nHOTPASS_ALLOW_NETWORK=true",
    "http://127.0.0.1:4200/api\r\nX=1",
    "http://host/api\x1b[31m",
    "ftp://host/api",
    "127.0.0.1:4200/api",
    "http:///api",
    "http://host:99999/api",
    "http://host /api",
])
def test_invalid_urls_refused_and_nothing_written(tmp_path: Path, url: str) -> None:
    proc = run_cli("--target", "staging", "--prefect-url", url, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    assert "--prefect-url" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / ".env.staging").exists()


def test_valid_url_written_and_file_has_one_line_per_key(tmp_path: Path) -> None:
    out = tmp_path / "conf" / "staging.env"
    proc = run_cli("--target", "staging", "--prefect-url", "https://prefect.example.org/api",
                   "--output", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in out.read_text().splitlines() if not ln.startswith("#")]
    assert lines == ["HOTPASS_ALLOW_NETWORK=false", "HOTPASS_ENV=staging",
                     "PREFECT_API_URL=https://prefect.example.org/api"]


def test_existing_file_needs_force(tmp_path: Path) -> None:
    target = tmp_path / ".env.local"
    target.write_text("KEEP=1\n")
    proc = run_cli("--target", "local", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--force" in proc.stderr
    assert target.read_text() == "KEEP=1\n"
    proc = run_cli("--target", "local", "--force", cwd=tmp_path)
    assert proc.returncode == 0
    assert read_env_file(target)["HOTPASS_ENV"] == "local"


def test_dry_run_masks_secrets_and_writes_nothing(tmp_path: Path) -> None:
    secret_url = "https://robot:Pa55word-xyz@prefect.example.org/api"
    proc = run_cli("--target", "staging", "--prefect-url", secret_url, "--dry-run",
                   "--api-key-env", "MY_KEY", "--json", cwd=tmp_path,
                   env={"MY_KEY": "pnu_supersecretvalue1234567890"})
    assert proc.returncode == 0, proc.stderr
    assert "Pa55word-xyz" not in proc.stdout + proc.stderr
    assert "supersecretvalue" not in proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["written"] is False
    assert doc["variables"]["PREFECT_API_KEY"] == "***"
    assert doc["variables"]["PREFECT_API_URL"] == "https://robot:***@prefect.example.org/api"
    assert not (tmp_path / ".env.staging").exists()


def test_secret_written_only_when_given_and_file_private(tmp_path: Path) -> None:
    result = write_env_file(EnvFileRequest(target="prod", output=tmp_path / "a.env",
                                           api_key="pnu_abcdefghijklmnopqrstuvwxyz"))
    assert read_env_file(result.path)["PREFECT_API_KEY"].startswith("pnu_")
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"
    plain = write_env_file(EnvFileRequest(target="prod", output=tmp_path / "b.env"))
    assert "PREFECT_API_KEY" not in read_env_file(plain.path)


def test_bad_target_name(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--target"):
        write_env_file(EnvFileRequest(target="../etc", output=tmp_path / "x"))


def test_validate_url_accepts_plain_local_url() -> None:
    assert validate_url("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200/api"


@pytest.mark.parametrize("url", ["http://host/api\x00", "http://host/\tapi", "http://h/\x7f"])
def test_control_characters_refused(url: str) -> None:
    with pytest.raises(UsageError, match="control character"):
        validate_url(url)


def test_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    proc = run_cli("--target", "local", "--output", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2 and "is a folder" in proc.stderr
