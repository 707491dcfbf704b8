"""Shared plumbing for runs made of recorded steps (offline fallback, rehearsal, demo): a step
calls one library function, renders its result, and keeps the result for the summary."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotpass.bundles.checksums import bundle_files
from hotpass.bundles.transcript import StepOutput, StepRecord, Transcript
from hotpass.errors import UsageError

# Renders a step's result as the text the equivalent CLI command would print.
Renderer = Callable[[str, Any], str]
_BUNDLE_MARKERS = ("cli.log", "summary.json", "SHA256SUMS")


def json_renderer(_step: str, result: Any) -> str:
    """Fallback rendering: the result's JSON document."""
    document = result.to_json() if hasattr(result, "to_json") else result
    return json.dumps(document, indent=2, sort_keys=True, default=str)


def run_step(transcript: Transcript, name: str, command: list[str],
             call: Callable[[], Any], render: Renderer) -> StepRecord:
    """Record `call()` as step `name`; its result object is kept in `record.data["result"]`."""

    def action() -> StepOutput:
        result = call()
        code = int(getattr(result, "exit_code", 0))
        return StepOutput(exit_code=code, text=render(name, result), data={"result": result})

    return transcript.run(name, command, action)


def prepare_bundle_dir(bundle_dir: Path, known: tuple[str, ...] = ()) -> None:
    """Empty a previous bundle (or create the folder). A folder holding anything but a previous
    bundle or the bundle's `known` outputs (e.g. `prefect/` from `hotpass deploy --no-upload`)
    is refused rather than deleted."""
    if bundle_dir.exists():
        entries = list(bundle_dir.iterdir())
        is_bundle = any((bundle_dir / m).exists() for m in _BUNDLE_MARKERS)
        strangers = [e.name for e in entries if e.name not in known and not e.name.startswith(
            ".env.")]
        if strangers and not is_bundle:
            raise UsageError(f"{bundle_dir} is not empty and does not hold a previous bundle "
                             f"(found {', '.join(sorted(strangers)[:5])})",
                             hint="choose an empty folder for the bundle or remove it")
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    bundle_dir.mkdir(parents=True, exist_ok=True)


def bundle_outputs(bundle_dir: Path) -> list[str]:
    """Files of the bundle (relative, as SHA256SUMS lists them), without summary.json."""
    return [p.relative_to(bundle_dir).as_posix() for p in bundle_files(bundle_dir)
            if p.name != "summary.json"]
