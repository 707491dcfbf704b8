"""The write stage: outputs, the optional input archive, the checkpoint, and the result."""

from __future__ import annotations

import logging
import time
from typing import Any

import polars as pl

from hotpass.errors import EXIT_FAILED, EXIT_OK
from hotpass.refine.archive import archive_inputs
from hotpass.refine.checkpoint import CheckpointStore, FileCheckpointStore
from hotpass.refine.privacy import redact
from hotpass.refine.request import RefineResult
from hotpass.refine.stages import Refined
from hotpass.refine.validate import summary_rows
from hotpass.refine.write import write_output

log = logging.getLogger("hotpass.refine")


def finish(refined: Refined, checkpoints: CheckpointStore | None) -> RefineResult:
    ingested = refined.ingested
    request = ingested.request
    clock = time.perf_counter()
    run = {"run_id": ingested.run_id, "profile": ingested.profile.name,
           "started_at": ingested.started_at.isoformat(timespec="seconds"),
           "records_in": refined.records_in, "records_out": refined.rows.height,
           "rejected": refined.rejected, "duplicates_merged": refined.duplicates_merged,
           "issues": refined.issues.height}
    stats = [s for r in ingested.results for s in r.stats]
    outputs = write_output(request.output_path, refined.rows, refined.issues,
                           summary_rows(run, stats, refined.issues, refined.expectations))
    ingested.timings["write_s"] = round(time.perf_counter() - clock, 3)
    archive_path = None
    if request.archive:
        clock = time.perf_counter()
        archive_path = archive_inputs(ingested.files, request.archive_root,
                                      ingested.started_at.date(), base_dir=request.input_dir,
                                      digests=[r.sha256 for r in ingested.results])
        ingested.timings["archive_s"] = round(time.perf_counter() - clock, 3)
    if request.incremental:
        store = checkpoints or FileCheckpointStore(request.state_dir)
        store.save(ingested.job_key, {"last_run": ingested.started_at.isoformat(),
                                      "run_id": ingested.run_id,
                                      "output_path": str(request.output_path)})
    log.info("refined %d rows into %d organisations (%d rejected, %d issues) -> %s",
             refined.records_in, refined.rows.height, refined.rejected, refined.issues.height,
             redact(request.output_path))
    return RefineResult(
        run_id=ingested.run_id, profile=ingested.profile.name, records_in=refined.records_in,
        records_out=refined.rows.height, rejected=refined.rejected,
        duplicates_merged=refined.duplicates_merged, expectations=refined.expectations,
        output_path=request.output_path, archive_path=archive_path,
        inputs=[{"path": r.source, "sha256": r.sha256, "rows": r.candidate_rows}
                for r in ingested.results],
        issues_count=refined.issues.height, timings=dict(ingested.timings),
        exit_code=exit_code_for(refined.expectations), outputs=outputs,
        files_read=[r.source for r in ingested.results if not r.from_cache],
        problems=[{"source": source, "sheet": sheet, "reason": reason}
                  for source, sheet, reason in refined.issues.filter(
                      pl.col("source_row").is_null()).select(
                      "source_file", "source_sheet", "reason").iter_rows()],
        incremental=request.incremental,
    )


def exit_code_for(expectations: list[dict[str, Any]]) -> int:
    return EXIT_OK if all(e["passed"] for e in expectations) else EXIT_FAILED
