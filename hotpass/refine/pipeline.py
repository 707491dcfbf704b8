"""`run_refinement`: the refinement job's stages (hotpass.refine.steps) in order, in this
process. The request and result are re-exported: callers of `run_refinement` import them from
here. This module stays light (no polars): a run starts reading its first workbooks in the
background before it imports the engine, so the two overlap."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hotpass.refine.checkpoint import CheckpointStore
from hotpass.refine.inputs import ReadAhead
from hotpass.refine.request import RefineRequest, RefineResult
from hotpass.telemetry import PipelineMetrics, metrics_from_environment

__all__ = ["RefineRequest", "RefineResult", "paused_gc", "record_run_metrics",
           "run_refinement", "stages_inline"]


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
    ahead = ReadAhead.for_run(request.input_dir, request.output_path,
                              incremental=request.incremental)
    try:
        # Imported here, once the first workbook is loading: the engine (polars) takes ~0.2 s
        # to import, the parse runs outside the GIL meanwhile.
        from hotpass.refine import steps  # noqa: PLC0415

        with paused_gc():
            ingested = steps.ingest(request, checkpoints, ahead)
            return steps.write(steps.refine(ingested), checkpoints)
    finally:
        ahead.close()


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

