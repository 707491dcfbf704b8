"""The refinement job as three stages (ingest → refine → write) and `run_refinement`, which runs
them in order. The Prefect flow (hotpass.refine.flow) runs the same stages as tasks."""

from __future__ import annotations

import gc
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotpass.errors import EXIT_FAILED, EXIT_OK, UsageError
from hotpass.fsutil import sha256_file
from hotpass.refine.checkpoint import CheckpointStore, FileCheckpointStore, checkpoint_key
from hotpass.refine.dedupe import deduplicate, output_columns
from hotpass.refine.ingest import FileResult, RecordCache, modified_after, process_file
from hotpass.refine.model import Issue
from hotpass.refine.privacy import redact
from hotpass.refine.profile import Profile, load_profile
from hotpass.refine.read import list_inputs
from hotpass.refine.records import RecordBuilder
from hotpass.refine.validate import check_expectations
from hotpass.refine.write import check_output_path
from hotpass.telemetry import PipelineMetrics, metrics_from_environment

log = logging.getLogger("hotpass.refine")


def parse_since(since: str | None) -> datetime | None:
    """An ISO date or date-time (UTC when it names no zone); None or "" means no cut-off."""
    if since in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(str(since))
    except ValueError:
        raise UsageError(f"since {since!r} is not an ISO date or time",
                         hint="use e.g. 2026-01-31 or 2026-01-31T06:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RefineRequest:
    input_dir: Path
    output_path: Path
    profile: str = "generic"  # a built-in name or the path of a YAML profile
    archive: bool = False
    archive_root: Path = Path("dist/archive")
    incremental: bool = False
    since: datetime | None = None
    state_dir: Path = Path("dist/state")
    run_id: str | None = None


@dataclass
class RefineResult:
    run_id: str
    profile: str
    records_in: int
    records_out: int
    rejected: int
    duplicates_merged: int
    expectations: list[dict[str, Any]]
    output_path: Path
    archive_path: Path | None
    inputs: list[dict[str, Any]]
    issues_count: int
    timings: dict[str, float]
    exit_code: int
    outputs: list[Path] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    incremental: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "profile": self.profile, "records_in": self.records_in,
            "records_out": self.records_out, "rejected": self.rejected,
            "duplicates_merged": self.duplicates_merged, "issues_count": self.issues_count,
            "expectations": self.expectations, "output_path": str(self.output_path),
            "outputs": [str(p) for p in self.outputs],
            "archive_path": str(self.archive_path) if self.archive_path else None,
            "inputs": self.inputs, "files_read": self.files_read, "problems": self.problems,
            "incremental": self.incremental, "timings": self.timings,
            "exit_code": self.exit_code,
        }


@dataclass
class Ingested:
    request: RefineRequest
    profile: Profile
    run_id: str
    started_at: datetime
    job_key: str
    files: list[Path]
    results: list[FileResult]
    checkpoint_found: bool
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Refined:
    ingested: Ingested
    columns: list[str]
    rows: list[dict[str, Any]]
    issues: list[Issue]
    expectations: list[dict[str, Any]]
    records_in: int
    rejected: int
    duplicates_merged: int


def ingest(request: RefineRequest, checkpoints: CheckpointStore | None = None) -> Ingested:
    """Validate the request, then read (or reuse from the incremental cache) every input."""
    started, clock = datetime.now(UTC), time.perf_counter()
    profile = load_profile(request.profile)
    check_output_path(request.output_path)
    if not request.input_dir.is_dir():
        raise UsageError(f"input folder {redact(request.input_dir)} does not exist",
                         hint="pass --input-dir with a folder of .xlsx/.xls/.ods/.csv files")
    output = request.output_path.resolve()
    own_outputs = {output, output.with_name(f"{output.stem}-issues{output.suffix}")}
    files = [f for f in list_inputs(request.input_dir) if f.resolve() not in own_outputs]
    if not files:
        raise UsageError("no spreadsheets (.xlsx .xlsm .xls .ods .csv) in "
                         f"{redact(request.input_dir)}",
                         hint="check --input-dir")
    key = checkpoint_key(request.input_dir, request.output_path, profile.name)
    store = checkpoints or FileCheckpointStore(request.state_dir)
    found = request.incremental and store.load(key) is not None
    cache = RecordCache(request.state_dir, key, profile) if request.incremental else None
    builder = RecordBuilder(profile)
    results = [_ingest_file(request, path, builder, cache, found) for path in files]
    fresh = sum(1 for r in results if not r.from_cache)
    log.info("read %d of %d input files (%d reused from the incremental cache)", fresh,
             len(results), len(results) - fresh)
    return Ingested(request, profile, request.run_id or uuid.uuid4().hex[:12], started, key,
                    files, results, found, {"ingest_s": round(time.perf_counter() - clock, 3)})


def _ingest_file(request: RefineRequest, path: Path, builder: RecordBuilder,
                 cache: RecordCache | None, checkpoint_found: bool) -> FileResult:
    source = path.relative_to(request.input_dir).as_posix()
    sha = sha256_file(path)
    if cache is not None and (checkpoint_found or request.since is not None):
        stale = request.since is not None and modified_after(path, request.since)
        cached = None if stale else cache.load(source, sha)
        if cached is not None:
            return cached
    result = process_file(path, source, sha, builder)
    if cache is not None:
        cache.save(result)
    return result


def refine(ingested: Ingested) -> Refined:
    """Deduplicate the records and check the profile's expectations."""
    clock = time.perf_counter()
    records = [r for result in ingested.results for r in result.records]
    issues = sorted((i for result in ingested.results for i in result.issues),
                    key=lambda i: (i.source, i.sheet, -1 if i.row is None else i.row))
    rejected = sum(r.rejected_rows for r in ingested.results)
    records_in = sum(r.candidate_rows for r in ingested.results)
    rows = deduplicate(records, ingested.profile)
    merged = len(records) - len(rows)
    del records
    for result in ingested.results:
        result.records = []  # merged into `rows`; frees memory before the write stage
    expectations = check_expectations(ingested.profile, rows, records_in, rejected)
    for outcome in expectations:
        if not outcome["passed"]:
            log.warning("expectation failed: %s (%s = %s)", outcome["name"], outcome["metric"],
                        outcome["value"])
    ingested.timings["refine_s"] = round(time.perf_counter() - clock, 3)
    return Refined(ingested, output_columns(ingested.profile), rows, issues, expectations,
                   records_in, rejected, merged)


def write(refined: Refined, checkpoints: CheckpointStore | None = None) -> RefineResult:
    """Write the outputs atomically, archive the inputs if asked, then save the checkpoint."""
    from hotpass.refine.finish import finish

    return finish(refined, checkpoints)


def run_refinement(request: RefineRequest, *, checkpoints: CheckpointStore | None = None,
                   metrics: PipelineMetrics | None = None) -> RefineResult:
    """Refine every spreadsheet under `request.input_dir` into `request.output_path`.

    Raises UsageError / ProfileError (exit 2) for bad arguments; expectation failures give a
    result with exit_code 1 and the output still written."""
    clock = time.perf_counter()
    own_metrics = metrics is None
    metrics = metrics_from_environment(os.environ) if metrics is None else metrics
    try:
        with paused_gc():
            result = write(refine(ingest(request, checkpoints)), checkpoints)
        result.timings["total_s"] = round(time.perf_counter() - clock, 3)
        metrics.record_run(duration_s=result.timings["total_s"],
                           counts={"in": result.records_in, "out": result.records_out,
                                   "rejected": result.rejected},
                           profile=result.profile, run_id=result.run_id)
        return result
    finally:
        if own_metrics:
            metrics.shutdown()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Cyclic GC off while millions of short-lived cell objects are made: the run builds no
    reference cycles worth collecting, and gen-2 passes over a big heap cost ~25% of a run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def exit_code_for(expectations: list[dict[str, Any]]) -> int:
    return EXIT_OK if all(e["passed"] for e in expectations) else EXIT_FAILED
