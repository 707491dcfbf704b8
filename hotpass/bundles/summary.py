"""`summary.json` of a bundle (design §9): UTC start/end, tool versions, inputs with sha256,
counts, QA outcome, concurrency limits, steps — validated by schemas/summary.schema.json and
written with sorted keys, secrets masked."""

from __future__ import annotations

import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from hotpass.bundles.masking import mask_text
from hotpass.bundles.transcript import StepRecord
from hotpass.errors import HotpassError
from hotpass.fsutil import atomic_write_json, sha256_file
from hotpass.schemas import document_problems

INPUT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".zip")


def tool_versions() -> dict[str, str]:
    """hotpass, Prefect and Python versions (read from package metadata, Prefect not imported)."""
    versions = {"python": platform.python_version()}
    for name in ("hotpass", "prefect"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def input_entries(paths: Iterable[Path], root: Path | None = None) -> list[dict[str, object]]:
    """`{path, sha256, bytes}` for every file under the given files/directories, sorted."""
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(p for p in path.rglob("*")
                         if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
        elif path.is_file():
            files.add(path)
    return [{"path": _shown(p, root), "sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in sorted(files, key=lambda p: _shown(p, root))]


@dataclass
class SummaryBuilder:
    kind: str  # offline | rehearsal | demo
    started_at: str
    secrets: Sequence[str] = ()
    inputs: list[dict[str, object]] = field(default_factory=list)
    counts: dict[str, int | float | None] = field(default_factory=dict)
    qa: dict[str, Any] = field(default_factory=lambda: {"status": "not-run", "checks": {}})
    concurrency: dict[str, int | None] = field(
        default_factory=lambda: {"limit": None, "max_observed": None})
    outputs: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def build(self, steps: Sequence[StepRecord], finished_at: str) -> dict[str, Any]:
        failed = next((s for s in steps if not s.ok), None)
        guardrails = self.extra.get("guardrails", [])
        broken = any(g.get("status") == "fail" for g in guardrails)
        document: dict[str, Any] = {
            "kind": self.kind, "status": "failed" if failed or broken else "passed",
            "failed_step": failed.name if failed else None,
            "started_at": self.started_at, "finished_at": finished_at,
            "tools": tool_versions(), "inputs": self.inputs, "counts": self.counts,
            "qa": self.qa, "concurrency": self.concurrency,
            "steps": [s.to_json() for s in steps], "outputs": sorted(self.outputs),
            **self.extra,
        }
        masked: dict[str, Any] = _mask(document, tuple(self.secrets))
        return masked


def validate_summary(document: dict[str, Any]) -> None:
    """Raise HotpassError listing every schema violation of a summary document."""
    problems = document_problems("summary", document)
    if problems:
        raise HotpassError("summary.json does not match schemas/summary.schema.json:\n  "
                           + "\n  ".join(problems))


def write_summary(path: Path, document: dict[str, Any]) -> Path:
    """Validate and write the summary (sorted keys, two-space indent, trailing newline)."""
    validate_summary(document)
    return atomic_write_json(path, document)


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _mask(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {k: _mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, secrets) for v in value]
    return value
