"""Stand-ins for the refinement step, importable by spawned pool workers."""

from __future__ import annotations

import os
import time
from pathlib import Path

from hotpass.backfill.runs import RunOutcome, RunSpec, failed_outcome, restore
from hotpass.backfill.state import utc_now
from hotpass.errors import HotpassError


def copy_run(spec: RunSpec) -> RunOutcome:
    """Restore the archive and 'refine' by concatenating the restored CSVs into the output."""
    started = utc_now()
    try:
        restore(spec)
    except HotpassError as exc:
        return failed_outcome(spec, exc.message, executor="local", started_at=started)
    texts = sorted(p.read_text() for p in Path(spec.restore_dir).glob("*.csv"))
    Path(spec.output_path).parent.mkdir(parents=True, exist_ok=True)
    Path(spec.output_path).write_text("".join(texts))
    marker = Path(spec.restore_dir).parent / "calls.log"
    with open(marker, "a") as log:
        log.write(f"{spec.label} {os.getpid()} {spec.idempotency_key}\n")
    time.sleep(0.05)
    return RunOutcome(run_date=spec.run_date, version=spec.version, status="completed",
                      started_at=started, finished_at=utc_now(), seconds=0.05,
                      executor="local", records_in=len(texts), records_out=len(texts),
                      rejected=0)


def threads_run(spec: RunSpec) -> RunOutcome:
    """Write the run's thread budget and polars' thread count (the engine imported here, as a
    refinement would) into the output, instead of refining."""
    import polars

    from hotpass.refine.threads import thread_budget

    Path(spec.output_path).parent.mkdir(parents=True, exist_ok=True)
    Path(spec.output_path).write_text(f"{thread_budget()} {polars.thread_pool_size()}")
    now = utc_now()
    return RunOutcome(run_date=spec.run_date, version=spec.version, status="completed",
                      started_at=now, finished_at=now, seconds=0.0, executor="local")
