"""A refinement overlaps its steps on threads unless its budget is one thread (a backfill run)."""

from __future__ import annotations

import threading

import pytest

from hotpass.refine.threads import ENGINE_THREADS, thread_budget, workers


def test_the_budget_follows_the_engine_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_THREADS, "3")
    assert thread_budget() == 3
    monkeypatch.setenv(ENGINE_THREADS, "not a number")
    assert thread_budget() >= 1


def test_one_thread_runs_every_step_in_the_calling_thread(monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    monkeypatch.setenv(ENGINE_THREADS, "1")
    with workers(2, "test") as pool:
        names = list(pool.map(lambda _: threading.current_thread().name, range(3)))
        failed = pool.submit(int, "x")
    assert names == [threading.current_thread().name] * 3
    with pytest.raises(ValueError):
        failed.result()


def test_more_threads_use_worker_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_THREADS, "2")
    with workers(2, "hotpass-test") as pool:
        names = list(pool.map(lambda _: threading.current_thread().name, range(2)))
    assert all(name.startswith("hotpass-test") for name in names)
