"""Closing a bundle: the note in cli.log, summary.json listing the bundle's files, SHA256SUMS;
and the demo's summary rolled up from the offline and rehearsal summaries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass.bundles.checksums import verify_checksums
from hotpass.bundles.finish import finish_bundle, finish_demo
from hotpass.bundles.summary import SummaryBuilder, validate_summary
from hotpass.bundles.transcript import StepOutput, Transcript

STARTED = "2026-01-31T12:00:00Z"


@dataclass(frozen=True)
class Finished:
    summary: dict[str, Any]


def transcript_with_steps(bundle: Path, *codes: int, workdir: Path | None = None) -> Transcript:
    transcript = Transcript(bundle, workdir=workdir or bundle.parent, secrets=["s3cr3t"])
    for number, code in enumerate(codes):
        (bundle / f"out-{number}.txt").write_text(f"output {number}")
        transcript.run(f"step-{number}", ["hotpass", "step", str(number)],
                       lambda code=code: StepOutput(code, "done with s3cr3t"))
    return transcript


def test_finish_writes_summary_and_checksums(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    transcript = transcript_with_steps(bundle, 0, 0)
    summary = finish_bundle(bundle, transcript, SummaryBuilder(kind="offline",
                                                               started_at=STARTED))
    assert json.loads((bundle / "summary.json").read_text()) == summary
    validate_summary(summary)
    assert summary["status"] == "passed" and summary["failed_step"] is None
    assert summary["outputs"] == ["cli.log", "cli.sh", "out-0.txt", "out-1.txt"]
    assert [s["name"] for s in summary["steps"]] == ["step-0", "step-1"]
    assert verify_checksums(bundle) == []
    last = (bundle / "cli.log").read_text().splitlines()[-1]
    assert last.endswith(f"bundle {bundle.as_posix()}: summary.json and SHA256SUMS")
    assert "s3cr3t" not in (bundle / "cli.log").read_text()


def test_finish_after_a_failed_step_names_it(tmp_path: Path) -> None:
    transcript = transcript_with_steps(tmp_path, 0, 3)
    summary = finish_bundle(tmp_path, transcript, SummaryBuilder(kind="rehearsal",
                                                                 started_at=STARTED),
                            note="rehearsal finished")
    assert summary["status"] == "failed" and summary["failed_step"] == "step-1"
    assert verify_checksums(tmp_path) == []
    assert (tmp_path / "cli.log").read_text().splitlines()[-1].endswith("rehearsal finished")


def test_demo_summary_rolls_up_offline_and_rehearsal(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample.csv").write_text("a,b\n1,2\n")
    bundle = tmp_path / "dist" / "demo"
    bundle.mkdir(parents=True)
    transcript = transcript_with_steps(bundle, 0, workdir=tmp_path)
    offline = Finished({"counts": {"records_in": 5, "records_out": 4},
                        "qa": {"status": "pass", "checks": {"pass": 3}}})
    guard = {"id": "no-overlap", "status": "pass", "message": "ok"}
    rehearsal = Finished({"concurrency": {"limit": 2, "max_observed": 1},
                          "guardrails": [guard]})
    summary = finish_demo(bundle, transcript, STARTED, input_dirs=[tmp_path / "data"],
                          offline=offline, rehearsal=rehearsal)
    validate_summary(summary)
    assert summary["kind"] == "demo" and summary["status"] == "passed"
    assert [i["path"] for i in summary["inputs"]] == ["data/sample.csv"]
    assert summary["counts"] == {"records_in": 5, "records_out": 4}
    assert summary["qa"]["status"] == "pass"
    assert summary["concurrency"] == {"limit": 2, "max_observed": 1}
    assert summary["guardrails"] == [guard]
    assert (bundle / "cli.log").read_text().splitlines()[-1].endswith(
        "demo finished: summary.json and SHA256SUMS")
    assert verify_checksums(bundle) == []


def test_demo_summary_when_the_runs_never_finished(tmp_path: Path) -> None:
    transcript = transcript_with_steps(tmp_path, 1)
    summary = finish_demo(tmp_path, transcript, STARTED, input_dirs=[tmp_path / "none"],
                          offline=None, rehearsal=None)
    validate_summary(summary)
    assert summary["status"] == "failed" and summary["failed_step"] == "step-0"
    assert summary["inputs"] == [] and summary["counts"] == {}
    assert summary["qa"]["status"] == "not-run" and "guardrails" not in summary
