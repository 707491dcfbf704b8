"""Transcript (cli.log + cli.sh), summary builder/schema, SHA256SUMS, masking."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
from pathlib import Path

import pytest

from hotpass.bundles.checksums import verify_checksums, write_checksums
from hotpass.bundles.masking import mask_log_text, mask_text, mask_url, secrets_from_environ
from hotpass.bundles.summary import SummaryBuilder, input_entries, write_summary
from hotpass.bundles.transcript import StepOutput, Transcript
from hotpass.errors import HotpassError, UsageError

SECRET_URL = "https://robot:hunter2-pass@prefect.example.org/api"


def test_transcript_writes_log_with_timestamps_and_replayable_script(tmp_path: Path) -> None:
    bundle = tmp_path / "dist" / "offline"
    transcript = Transcript(bundle, workdir=tmp_path, secrets=["s3cr3t-token"])

    def make_file() -> StepOutput:
        (tmp_path / "made.txt").write_text("x")
        logging.getLogger("hotpass.test").info("logged with s3cr3t-token for a@example.org")
        return StepOutput(0, "made it")

    record = transcript.run("make", ["touch", "made.txt"], make_file)
    assert record.ok
    log = (bundle / "cli.log").read_text()
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ step make: \$ touch made.txt$", log, re.M)
    assert "made it" in log
    assert "logged with ***" in log and "<email>" in log
    assert "s3cr3t-token" not in log and "a@example.org" not in log
    (tmp_path / "made.txt").unlink()
    script = bundle / "cli.sh"
    proc = subprocess.run(["sh", str(script)], cwd="/", capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "made.txt").exists()


def test_failed_step_is_recorded_with_its_error(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path, workdir=tmp_path)

    def fail() -> StepOutput:
        raise UsageError(f"cannot reach {SECRET_URL}")

    record = transcript.run("refine", ["hotpass", "refine", "--password", "hunter2-pass"], fail)
    assert not record.ok and record.exit_code == 2
    assert transcript.failed_step is record
    assert "hunter2-pass" not in record.message
    text = (tmp_path / "cli.log").read_text() + (tmp_path / "cli.sh").read_text()
    assert "hunter2-pass" not in text
    assert "step refine: failed (exit 2" in text


def test_unexpected_exception_becomes_failed_step(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path, workdir=tmp_path)
    record = transcript.run("boom", ["true"], lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    assert record.exit_code == 1 and "ZeroDivisionError" in record.message


def _summary(tmp_path: Path, secrets: list[str]) -> dict[str, object]:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("name\nAcme\n")
    transcript = Transcript(tmp_path / "b", workdir=tmp_path)
    transcript.run("ok", ["true"], lambda: StepOutput(0, "fine"))
    builder = SummaryBuilder(kind="offline", started_at="2026-01-01T00:00:00Z", secrets=secrets,
                             inputs=input_entries([tmp_path / "in"], root=tmp_path),
                             counts={"records_in": 1}, extra={"prefect": {"api_url": SECRET_URL}})
    return builder.build(transcript.steps, "2026-01-01T00:00:05Z")


def test_summary_validates_masks_and_is_sorted(tmp_path: Path) -> None:
    document = _summary(tmp_path, ["hunter2-pass"])
    assert document["status"] == "passed" and document["failed_step"] is None
    digest = hashlib.sha256(b"name\nAcme\n").hexdigest()
    assert document["inputs"] == [{"path": "in/a.csv", "bytes": 10, "sha256": digest}]
    out = write_summary(tmp_path / "summary.json", document)
    text = out.read_text()
    assert "hunter2-pass" not in text and "robot:***@" in text
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True,
                              ensure_ascii=False) + "\n"


def test_summary_schema_rejects_bad_document(tmp_path: Path) -> None:
    document = _summary(tmp_path, [])
    document["status"] = "maybe"
    del document["tools"]
    with pytest.raises(HotpassError) as info:
        write_summary(tmp_path / "summary.json", document)
    assert "status" in info.value.message and "tools" in info.value.message
    assert not (tmp_path / "summary.json").exists()


def test_checksums_match_sha256sum(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub" / "b.json").write_text("{}")
    write_checksums(tmp_path)
    assert verify_checksums(tmp_path) == []
    proc = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout
    (tmp_path / "a.txt").write_text("changed")
    (tmp_path / "new.txt").write_text("n")
    assert verify_checksums(tmp_path) == ["a.txt: checksum differs",
                                          "new.txt: not listed in SHA256SUMS"]


def test_masking_patterns() -> None:
    assert mask_url(SECRET_URL) == "https://robot:***@prefect.example.org/api"
    assert mask_url("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200/api"
    text = mask_text("PREFECT_API_KEY=pnu_0123456789abcdefABCDEF --token abc Bearer x.y.z")
    assert text == "PREFECT_API_KEY=*** --token *** Bearer ***"
    assert secrets_from_environ({"PREFECT_API_KEY": "k-123456", "DB": SECRET_URL, "HOME": "/h"}
                                ) == ["hunter2-pass", "k-123456"]
    line = "2026-01-01T00:00:00Z run 123e4567-e89b-12d3-a456-426614174000 a@b.example.com " \
           "+27821234567 082 123 4567 sha 0123456789abcdef0123"
    assert mask_log_text(line) == ("2026-01-01T00:00:00Z run 123e4567-e89b-12d3-a456-426614174000"
                                   " <email> <phone> <phone> sha 0123456789abcdef0123")
