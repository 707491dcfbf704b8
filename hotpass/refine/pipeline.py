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
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from hotpass.errors import UsageError
from hotpass.fsutil import sha256_file
from hotpass.refine.checkpoint import CheckpointStore, FileCheckpointStore, checkpoint_key
from hotpass.refine.dedupe import deduplicate, output_columns
from hotpass.refine.finish import finish
from hotpass.refine.ingest import FileResult, RecordCache, modified_after, process_file
from hotpass.refine.model import ISSUE_COLUMNS
from hotpass.refine.privacy import redact
from hotpass.refine.profile import load_profile
from hotpass.refine.read import list_inputs
from hotpass.refine.records import RecordBuilder
from hotpass.refine.stages import Ingested, Refined, RefineRequest, RefineResult
from hotpass.refine.validate import check_expectations
from hotpass.refine.write import check_output_path
from hotpass.telemetry import PipelineMetrics, metrics_from_environment

# The request and result are re-exported: callers of `run_refinement` import them from here.
__all__ = ["RefineRequest", "RefineResult", "ingest", "paused_gc", "record_run_metrics",
           "refine", "run_refinement", "sorted_issues", "stages_inline", "write"]

log = logging.getLogger("hotpass.refine")


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
    records = pl.concat([result.records for result in ingested.results])
    issues = sorted_issues([result.issues for result in ingested.results])
    rejected = sum(r.rejected_rows for r in ingested.results)
    records_in = sum(r.candidate_rows for r in ingested.results)
    rows = deduplicate(records, ingested.profile)
    merged = records.height - rows.height
    del records
    for result in ingested.results:
        result.records = result.records.clear()  # merged into `rows`: free before writing
    expectations = check_expectations(ingested.profile, rows, records_in, rejected)
    for outcome in expectations:
        if not outcome["passed"]:
            log.warning("expectation failed: %s (%s = %s)", outcome["name"], outcome["metric"],
                        outcome["value"])
    ingested.timings["refine_s"] = round(time.perf_counter() - clock, 3)
    return Refined(ingested, output_columns(ingested.profile), rows, issues, expectations,
                   records_in, rejected, merged)


def sorted_issues(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Every issue in source order: by file, sheet and row (a file's own problems first),
    then in the order the row's fields were read."""
    issues = pl.concat(frames)
    return issues.sort([pl.col("source_file"), pl.col("source_sheet"),
                        pl.col("source_row").fill_null(-1), pl.col("order")],
                       maintain_order=True).select(ISSUE_COLUMNS)


def write(refined: Refined, checkpoints: CheckpointStore | None = None) -> RefineResult:
    """Write the outputs atomically, archive the inputs if asked, then save the checkpoint."""
    return finish(refined, checkpoints)


def run_refinement(request: RefineRequest, *, checkpoints: CheckpointStore | None = None,
                   metrics: PipelineMetrics | None = None) -> RefineResult:
    """Refine every spreadsheet under `request.input_dir` into `request.output_path`.

    Raises UsageError / ProfileError (exit 2) for bad arguments; expectation failures give a
    result with exit_code 1 and the output still written."""
    clock = time.perf_counter()
    result = stages_inline(request, checkpoints)
    record_run_metrics(result, time.perf_counter() - clock, metrics)
    return result


def stages_inline(request: RefineRequest, checkpoints: CheckpointStore | None = None,
                  ) -> RefineResult:
    """ingest → refine → write in this process, cyclic GC paused (see `paused_gc`)."""
    with paused_gc():
        return write(refine(ingest(request, checkpoints)), checkpoints)


def record_run_metrics(result: RefineResult, duration_s: float,
                       metrics: PipelineMetrics | None = None) -> None:
    """Set the run's total time and record its duration and record counts. Without `metrics`,
    the exporters the environment configures are used, then shut down (they export once)."""
    result.timings["total_s"] = round(duration_s, 3)
    target = metrics_from_environment(os.environ) if metrics is None else metrics
    try:
        target.record_run(duration_s=duration_s,
                          counts={"in": result.records_in, "out": result.records_out,
                                  "rejected": result.rejected},
                          profile=result.profile, run_id=result.run_id)
    finally:
        if metrics is None:
            target.shutdown()


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

