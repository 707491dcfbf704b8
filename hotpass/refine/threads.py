"""The refinement's own worker threads. A run overlaps independent steps (reading the next
workbook, normalising two fields, deflating the workbook while its XML is made) on threads:
polars, fastexcel and zlib work outside the GIL. How many it may use is the engine's thread
count, which polars takes from POLARS_MAX_THREADS (else one per core). A backfill run sets it to
one (hotpass.backfill.local): then every step runs in the calling thread."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

ENGINE_THREADS = "POLARS_MAX_THREADS"


def thread_budget() -> int:
    """Threads a refinement in this process may keep busy."""
    value = os.environ.get(ENGINE_THREADS, "")
    return max(1, int(value)) if value.isdigit() else (os.cpu_count() or 1)


def workers(count: int, name: str) -> Executor:
    """`count` worker threads, or the calling thread when the budget is one thread."""
    if thread_budget() > 1:
        return ThreadPoolExecutor(count, thread_name_prefix=name)
    return _InCallingThread()


class _InCallingThread(Executor):
    """An executor that runs each task as it is submitted."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed over through the future
            future.set_exception(exc)
        return future
