"""Closing a bundle (offline fallback, rehearsal, demo): a note in cli.log, summary.json
(schema-checked, outputs listed) and SHA256SUMS, whatever happened before."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from hotpass.bundles.checksums import write_checksums
from hotpass.bundles.steps import bundle_outputs
from hotpass.bundles.summary import SummaryBuilder, input_entries, write_summary
from hotpass.bundles.transcript import Transcript, iso, utc_now


class Summarised(Protocol):
    """A run's result that carries its bundle's summary document (offline, rehearsal)."""

    @property
    def summary(self) -> dict[str, Any]: ...


def finish_bundle(bundle_dir: Path, transcript: Transcript, builder: SummaryBuilder,
                  note: str | None = None) -> dict[str, Any]:
    """Note the finish in cli.log, then write summary.json (built from the transcript's steps,
    listing the bundle's files) and SHA256SUMS; returns the summary document."""
    transcript.note(note or f"bundle {bundle_dir.as_posix()}: summary.json and SHA256SUMS")
    builder.outputs = bundle_outputs(bundle_dir)
    summary = builder.build(transcript.steps, iso(utc_now()))
    write_summary(bundle_dir / "summary.json", summary)
    write_checksums(bundle_dir)
    return summary


def finish_demo(bundle_dir: Path, transcript: Transcript, started: str, *,
                input_dirs: Sequence[Path], offline: Summarised | None,
                rehearsal: Summarised | None) -> dict[str, Any]:
    """The demo's bundle: its inputs, the offline run's counts and QA outcome, the rehearsal's
    concurrency figures and guardrails (each when that run got as far as a result)."""
    builder = SummaryBuilder(kind="demo", started_at=started, secrets=transcript.secrets,
                             inputs=input_entries(input_dirs, root=transcript.workdir))
    if offline is not None:
        builder.counts.update(offline.summary["counts"])
        builder.qa = offline.summary["qa"]
    if rehearsal is not None:
        builder.concurrency.update(rehearsal.summary["concurrency"])
        builder.extra["guardrails"] = rehearsal.summary.get("guardrails", [])
    return finish_bundle(bundle_dir, transcript, builder,
                         note="demo finished: summary.json and SHA256SUMS")
