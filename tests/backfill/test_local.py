"""Local backfill runs refine on one thread each; the setting does not outlive the runs."""

from __future__ import annotations

import os

import pytest

from hotpass.backfill.local import one_engine_thread
from hotpass.refine.threads import ENGINE_THREADS, thread_budget


def test_one_engine_thread_binds_inside_and_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENGINE_THREADS, raising=False)
    with one_engine_thread():
        assert os.environ[ENGINE_THREADS] == "1" and thread_budget() == 1
    assert ENGINE_THREADS not in os.environ
    monkeypatch.setenv(ENGINE_THREADS, "4")
    with one_engine_thread():
        assert thread_budget() == 1
    assert os.environ[ENGINE_THREADS] == "4"
