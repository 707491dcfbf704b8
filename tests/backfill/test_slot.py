"""A backfill child's slot: taken as soon as one is free, asked for at a fixed short interval."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from hotpass.backfill.slot import GLOBAL_LIMIT, backfill_slot
from hotpass.errors import UsageError


def _refusal(status: int) -> Exception:
    from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError

    request = httpx.Request("POST", "http://127.0.0.1/api/v2/concurrency_limits/increment")
    cause = httpx.HTTPStatusError("refused", request=request,
                                  response=httpx.Response(status, request=request))
    error = ConcurrencySlotAcquisitionError(f"Unable to acquire concurrency slots: {status}")
    error.__cause__ = cause
    return error


class FakeLimit:
    """`prefect.concurrency.sync.concurrency` refusing `busy` times, then granting."""

    def __init__(self, busy: int, refusal: int = 423) -> None:
        self.busy, self.refusal, self.calls, self.held = busy, refusal, [], 0

    @contextmanager
    def __call__(self, names: str, **options: Any) -> Iterator[None]:
        self.calls.append((names, options))
        if len(self.calls) <= self.busy:
            raise _refusal(self.refusal)
        self.held += 1
        try:
            yield
        finally:
            self.held -= 1


def test_a_waiting_child_asks_again_every_poll_interval_not_after_retry_after(
        monkeypatch: pytest.MonkeyPatch) -> None:
    limit, pauses = FakeLimit(busy=3), []
    monkeypatch.setattr("prefect.concurrency.sync.concurrency", limit)
    with backfill_slot(True, poll_seconds=0.25, sleep=pauses.append) as held:
        assert limit.held == 1 and held.started_at is not None
    assert limit.held == 0 and held.finished_at is not None
    assert pauses == [0.25] * 3
    names, options = limit.calls[-1]
    assert names == GLOBAL_LIMIT
    assert options["max_retries"] == 0 and options["strict"] is True


def test_a_missing_limit_is_a_usage_error_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError

    @contextmanager
    def missing(names: str, **options: Any) -> Iterator[None]:
        raise ConcurrencySlotAcquisitionError("Concurrency limits must be created first")
        yield

    pauses: list[float] = []
    monkeypatch.setattr("prefect.concurrency.sync.concurrency", missing)
    with pytest.raises(UsageError, match=GLOBAL_LIMIT), backfill_slot(True, sleep=pauses.append):
        pass
    assert pauses == []


def test_other_refusals_are_not_waited_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("prefect.concurrency.sync.concurrency", FakeLimit(busy=1, refusal=404))
    with pytest.raises(UsageError), backfill_slot(True, sleep=lambda _: None):
        pass


def test_no_slot_outside_a_backfill(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = FakeLimit(busy=0)
    monkeypatch.setattr("prefect.concurrency.sync.concurrency", limit)
    with backfill_slot(False) as held:
        pass
    assert limit.calls == [] and held.to_json() == {}


def _service_error(status: int) -> None:
    """What Prefect's slot service logs when a request fails (prefect._internal.concurrency)."""
    import logging
    from concurrent.futures import Future

    failed: Future[None] = Future()
    failed.set_exception(_refusal(status).__cause__)  # type: ignore[arg-type]
    logging.getLogger("prefect._internal.concurrency").error(
        "Service %r failed to process item %r", "ConcurrencySlotAcquisitionWithLeaseService",
        (1, GLOBAL_LIMIT, None, 0, 60, True, None, failed))


def test_refusals_while_waiting_are_not_logged_as_errors(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    limit = FakeLimit(busy=2)

    @contextmanager
    def logging_limit(names: str, **options: Any) -> Iterator[None]:
        if len(limit.calls) < limit.busy:
            _service_error(423)  # a refusal: filtered while the child waits
            _service_error(500 + len(limit.calls))  # anything else is still an error
        with limit(names, **options):
            yield

    monkeypatch.setattr("prefect.concurrency.sync.concurrency", logging_limit)
    with caplog.at_level("ERROR"), backfill_slot(True, sleep=lambda _: None):
        _service_error(423)  # once the slot is held, the filter is gone
    statuses = [r.args[1][-1].exception().response.status_code for r in caplog.records]
    assert statuses == [500, 501, 423]
