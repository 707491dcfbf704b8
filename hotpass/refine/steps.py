"""The refinement's three stages: ingest (read and normalise every input, or reuse its cached
records), refine (deduplicate and check expectations) and write. `hotpass.refine.pipeline` runs
them in order; the Prefect flow (hotpass.refine.flow) runs them as tasks."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from hotpass.errors import UsageError
from hotpass.fsutil import sha256_file
from hotpass.refine.checkpoint import CheckpointStore, FileCheckpointStore, checkpoint_key
from hotpass.refine.dedupe import deduplicate
from hotpass.refine.finish import finish
from hotpass.refine.ingest import FileResult, RecordCache, modified_after, process_file
from hotpass.refine.inputs import ReadAhead, inputs_to_read
from hotpass.refine.model import ISSUE_COLUMNS
from hotpass.refine.privacy import redact
from hotpass.refine.profile import load_profile
from hotpass.refine.records import RecordBuilder
from hotpass.refine.request import RefineRequest, RefineResult
from hotpass.refine.stages import Ingested, Refined
from hotpass.refine.validate import check_expectations
from hotpass.refine.write import check_output_path

log = logging.getLogger("hotpass.refine")


def ingest(request: RefineRequest, checkpoints: CheckpointStore | None = None,
           read_ahead: ReadAhead | None = None) -> Ingested:
    """Validate the request, then read (or reuse from the incremental cache) every input.
    Workbooks are read one file ahead in the background (`read_ahead`, or a new one)."""
    started, clock = datetime.now(UTC), time.perf_counter()
    profile = load_profile(request.profile)
    check_output_path(request.output_path)
    if not request.input_dir.is_dir():
        raise UsageError(f"input folder {redact(request.input_dir)} does not exist",
                         hint="pass --input-dir with a folder of .xlsx/.xls/.ods/.csv files")
    files = inputs_to_read(request.input_dir, request.output_path)
    if not files:
        raise UsageError("no spreadsheets (.xlsx .xlsm .xls .ods .csv) in "
                         f"{redact(request.input_dir)}",
                         hint="check --input-dir")
    key = checkpoint_key(request.input_dir, request.output_path, profile.name)
    store = checkpoints or FileCheckpointStore(request.state_dir)
    found = request.incremental and store.load(key) is not None
    cache = RecordCache(request.state_dir, key, profile) if request.incremental else None
    builder = RecordBuilder(profile)
    ahead = read_ahead or ReadAhead.for_run(request.input_dir, request.output_path,
                                            incremental=request.incremental)
    try:
        results = [_ingest_file(request, path, builder, cache, found, ahead) for path in files]
    finally:
        ahead.close()
    fresh = sum(1 for r in results if not r.from_cache)
    log.info("read %d of %d input files (%d reused from the incremental cache)", fresh,
             len(results), len(results) - fresh)
    return Ingested(request, profile, request.run_id or uuid.uuid4().hex[:12], started, key,
                    files, results, found, {"ingest_s": round(time.perf_counter() - clock, 3)})


def _ingest_file(request: RefineRequest, path: Path, builder: RecordBuilder,
                 cache: RecordCache | None, checkpoint_found: bool,
                 ahead: ReadAhead) -> FileResult:
    source = path.relative_to(request.input_dir).as_posix()
    sha = sha256_file(path)
    if cache is not None and (checkpoint_found or request.since is not None):
        stale = request.since is not None and modified_after(path, request.since)
        cached = None if stale else cache.load(source, sha)
        if cached is not None:
            return cached
    result = process_file(path, source, sha, builder, ahead.take(path))
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
    return Refined(ingested, rows, issues, expectations, records_in, rejected, merged)


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
