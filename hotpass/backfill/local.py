"""Run backfill runs on this machine: in-process for a concurrency of 1, else a process pool.

The pool's workers come from a fork server that has imported the backfill code once, so each
worker starts warm (spawn would import it again per worker), and a parent with Prefect's
threads is never forked itself. Each worker imports the refinement engine itself, with one
thread (see `one_engine_thread`)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager

from hotpass.backfill.runs import RunOutcome, RunSpec, execute_run, failed_outcome
from hotpass.refine.threads import ENGINE_THREADS

RunOne = Callable[[RunSpec], RunOutcome]
OnOutcome = Callable[[RunOutcome], None]


def run_local(specs: Sequence[RunSpec], *, concurrency: int, on_outcome: OnOutcome,
              run_one: RunOne = execute_run) -> list[RunOutcome]:
    """Execute `specs` with at most `concurrency` at once; `on_outcome` sees each as it ends."""
    if not specs:
        return []
    if concurrency <= 1 or len(specs) == 1:
        with one_engine_thread():
            return [_report(run_one(spec), on_outcome) for spec in specs]
    outcomes: list[RunOutcome] = []
    context = _pool_context()
    with ProcessPoolExecutor(max_workers=min(concurrency, len(specs)), mp_context=context,
                             initializer=_engine_with_one_thread) as pool:
        futures: dict[Future[RunOutcome], RunSpec] = {pool.submit(run_one, s): s for s in specs}
        try:
            for future in as_completed(futures):
                outcomes.append(_report(_result(future, futures[future]), on_outcome))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return outcomes


@contextmanager
def one_engine_thread() -> Iterator[None]:
    """A backfill run refines on one thread: `--concurrency` is how many cores a backfill uses
    (N runs at once, one core each), as on a shared worker it should be. Left alone each run
    would start a polars thread per core and overlap its own steps on more threads
    (hotpass.refine.threads), and N runs would crowd each other out (8 × 20k rows on 2 cores:
    the pool took 3.8 s instead of 3.2 s). Polars fixes its thread count when it is first
    imported in a process, so this binds the engine only in a process that imports it
    inside; the variable is restored afterwards."""
    previous = os.environ.get(ENGINE_THREADS)
    os.environ[ENGINE_THREADS] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ENGINE_THREADS, None)
        else:
            os.environ[ENGINE_THREADS] = previous


def _engine_with_one_thread() -> None:
    """A pool worker's start: one thread for every run it will take, set before it imports
    the engine (the fork server does not preload it, see `one_engine_thread`)."""
    os.environ[ENGINE_THREADS] = "1"  # this process exists for the pool's runs
    import hotpass.refine.steps  # noqa: F401, PLC0415


def _pool_context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hotpass.backfill.runs", "hotpass.refine.pipeline"])
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
