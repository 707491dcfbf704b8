"""Run backfill runs on this machine: in-process for a concurrency of 1, else a process pool.

The pool's workers come from a fork server that has imported the refinement code once, so
each worker starts warm (spawn would import it again per worker), and a parent with Prefect's
threads is never forked itself."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from hotpass.backfill.runs import RunOutcome, RunSpec, execute_run, failed_outcome

RunOne = Callable[[RunSpec], RunOutcome]
OnOutcome = Callable[[RunOutcome], None]


def run_local(specs: Sequence[RunSpec], *, concurrency: int, on_outcome: OnOutcome,
              run_one: RunOne = execute_run) -> list[RunOutcome]:
    """Execute `specs` with at most `concurrency` at once; `on_outcome` sees each as it ends."""
    if not specs:
        return []
    if concurrency <= 1 or len(specs) == 1:
        return [_report(run_one(spec), on_outcome) for spec in specs]
    outcomes: list[RunOutcome] = []
    context = _pool_context()
    with ProcessPoolExecutor(max_workers=min(concurrency, len(specs)),
                             mp_context=context) as pool:
        futures: dict[Future[RunOutcome], RunSpec] = {pool.submit(run_one, s): s for s in specs}
        try:
            for future in as_completed(futures):
                outcomes.append(_report(_result(future, futures[future]), on_outcome))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return outcomes


def _pool_context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hotpass.backfill.runs", "hotpass.refine.pipeline",
                                    "hotpass.refine.steps"])
    return context


def _result(future: Future[RunOutcome], spec: RunSpec) -> RunOutcome:
    try:
        return future.result()
    except Exception as exc:  # a worker process died (BrokenProcessPool) or could not pickle
        return failed_outcome(spec, f"worker process failed: {type(exc).__name__}: {exc}",
                              executor="local")


def _report(outcome: RunOutcome, on_outcome: OnOutcome) -> RunOutcome:
    on_outcome(outcome)
    return outcome
