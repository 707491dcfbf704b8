"""OpenTelemetry metrics per backfill run: `hotpass.backfill.run.duration` (s) and
`hotpass.backfill.run.records` (attribute `kind`: in/out/rejected), with the backfill id, date,
version, status and executor as attributes. Configured like the refinement's metrics
(hotpass.telemetry): off unless OTEL_METRICS_EXPORTER names an exporter (`jsonl` writes to
HOTPASS_METRICS_JSONL). The environment is passed in, never read at import time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotpass.backfill.runs import RunOutcome

METER_NAME = "hotpass.backfill"


class BackfillMetrics:
    """Records each run's metrics; a no-op when no exporter is configured."""

    def __init__(self, readers: list[Any] | None = None) -> None:
        self._provider: Any = None
        if not readers:
            return
        from opentelemetry.sdk.metrics import MeterProvider

        self._provider = MeterProvider(metric_readers=readers)
        meter = self._provider.get_meter(METER_NAME)
        self._duration = meter.create_histogram(
            "hotpass.backfill.run.duration", unit="s", description="wall time of one backfill run")
        self._records = meter.create_counter(
            "hotpass.backfill.run.records", unit="{record}",
            description="records per backfill run by kind (in, out, rejected)")

    def record_run(self, backfill_id: str, outcome: RunOutcome) -> None:
        if self._provider is None:
            return
        attributes = {"backfill.id": backfill_id, "run.date": outcome.run_date,
                      "run.version": outcome.version, "run.status": outcome.status,
                      "run.executor": outcome.executor}
        self._duration.record(outcome.seconds, attributes)
        for kind in ("records_in", "records_out", "rejected"):
            value = getattr(outcome, kind)
            if value:
                self._records.add(value, {**attributes, "kind": kind.removeprefix("records_")})

    def shutdown(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()  # exports what the readers hold, once
            self._provider = None


def metrics_from_environment(environ: Mapping[str, str]) -> BackfillMetrics:
    # the exporter choice is the refinement's (one OTEL_METRICS_EXPORTER for all of hotpass)
    from hotpass.telemetry import metric_readers

    return BackfillMetrics(metric_readers(environ))
