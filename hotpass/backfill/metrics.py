"""OpenTelemetry metrics per backfill run. Without a configured meter provider (the default)
these are no-ops; the exporter is chosen by the standard OTEL_* variables."""

from __future__ import annotations

from functools import cache
from typing import Any

from hotpass.backfill.runs import RunOutcome


@cache
def _instruments() -> tuple[Any, Any]:
    from opentelemetry import metrics

    meter = metrics.get_meter("hotpass.backfill")
    duration = meter.create_histogram("hotpass.backfill.run.duration", unit="s",
                                      description="wall time of one backfill run")
    records = meter.create_counter("hotpass.backfill.run.records", unit="{record}",
                                   description="records read, written and rejected per run")
    return duration, records


def record_run(backfill_id: str, outcome: RunOutcome) -> None:
    duration, records = _instruments()
    attributes = {"backfill.id": backfill_id, "run.date": outcome.run_date,
                  "run.version": outcome.version, "run.status": outcome.status,
                  "run.executor": outcome.executor}
    duration.record(outcome.seconds, attributes)
    for kind in ("records_in", "records_out", "rejected"):
        value = getattr(outcome, kind)
        if value:
            records.add(value, {**attributes, "kind": kind.removeprefix("records_")})
