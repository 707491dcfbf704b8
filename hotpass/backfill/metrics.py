"""OpenTelemetry metrics per backfill run: `hotpass.backfill.run.duration` (s) and
`hotpass.backfill.run.records` (attribute `kind`: in/out/rejected), with the backfill id, date,
version, status and executor as attributes. Configured like the refinement's metrics
(hotpass.telemetry): off unless OTEL_METRICS_EXPORTER names an exporter (`jsonl` writes to
HOTPASS_METRICS_JSONL). The environment is passed in, never read at import time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hotpass.backfill.runs import RunOutcome
from hotpass.telemetry import RunMetrics, metric_readers

METER_NAME = "hotpass.backfill"


class BackfillMetrics(RunMetrics):
    """Records each run's metrics; a no-op when no exporter is configured."""

    def __init__(self, readers: Sequence[Any] = ()) -> None:
        super().__init__(METER_NAME, "hotpass.backfill.run", "backfill run", readers)

    def record_run(self, backfill_id: str, outcome: RunOutcome) -> None:
        attributes = {"backfill.id": backfill_id, "run.date": outcome.run_date,
                      "run.version": outcome.version, "run.status": outcome.status,
                      "run.executor": outcome.executor}
        counts = {"in": outcome.records_in, "out": outcome.records_out,
                  "rejected": outcome.rejected}
        self.record(outcome.seconds, {k: v for k, v in counts.items() if v}, attributes)


def metrics_from_environment(environ: Mapping[str, str]) -> BackfillMetrics:
    # the exporter choice is the refinement's (one OTEL_METRICS_EXPORTER for all of hotpass)
    return BackfillMetrics(metric_readers(environ))
