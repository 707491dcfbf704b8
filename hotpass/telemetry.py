"""OpenTelemetry metrics (design §6): `hotpass.pipeline.duration` (s) and
`hotpass.pipeline.records` (attribute `kind`: in/out/rejected), with the profile and run id as
attributes. Off unless configured through the standard variables:

- `OTEL_METRICS_EXPORTER=otlp` (needs opentelemetry-exporter-otlp) or `console`;
- `OTEL_METRICS_EXPORTER=jsonl` with `HOTPASS_METRICS_JSONL=PATH` (default dist/metrics.jsonl):
  one JSON document per export appended to a file, for offline audits.

The environment is read when `metrics_from_environment` is called, never at import time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
METER_NAME = "hotpass"


class RunMetrics:
    """`<prefix>.duration` (s) and `<prefix>.records` by kind for one kind of run; a no-op when
    built without a reader. Refinement and backfill runs each wrap one."""

    def __init__(self, meter_name: str, prefix: str, what: str,
                 readers: Sequence[Any] = ()) -> None:
        self._provider: Any = None
        if not readers:
            return
        from opentelemetry.sdk.metrics import MeterProvider

        self._provider = MeterProvider(metric_readers=list(readers))
        meter = self._provider.get_meter(meter_name)
        self._duration = meter.create_histogram(
            f"{prefix}.duration", unit="s", description=f"wall time of one {what}")
        self._records = meter.create_counter(
            f"{prefix}.records", unit="{record}",
            description=f"records per {what} by kind (in, out, rejected)")

    @property
    def enabled(self) -> bool:
        return self._provider is not None

    def record(self, duration_s: float, counts: Mapping[str, int],
               attributes: Mapping[str, str]) -> None:
        if self._provider is None:
            return
        self._duration.record(duration_s, dict(attributes))
        for kind, value in counts.items():
            self._records.add(value, {**attributes, "kind": kind})

    def shutdown(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()  # readers export what they hold once, then stop
            self._provider = None


class PipelineMetrics(RunMetrics):
    """Refinement runs: `hotpass.pipeline.*` with the profile and run id as attributes."""

    def __init__(self, readers: Sequence[Any] = ()) -> None:
        super().__init__(METER_NAME, "hotpass.pipeline", "refinement run", readers)

    def record_run(self, *, duration_s: float, counts: Mapping[str, int], profile: str,
                   run_id: str) -> None:
        self.record(duration_s, counts, {"profile": profile, "run_id": run_id})


def metrics_from_environment(environ: Mapping[str, str]) -> PipelineMetrics:
    """Metrics configured by OTEL_METRICS_EXPORTER; disabled (no-op) when it is unset/none."""
    return PipelineMetrics(metric_readers(environ))


def metric_readers(environ: Mapping[str, str]) -> list[Any]:
    """The metric readers OTEL_METRICS_EXPORTER names (none when unset, `none` or
    OTEL_SDK_DISABLED=true); shared by every hotpass meter so one setting drives them all."""
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return []
    names = [n.strip() for n in environ.get("OTEL_METRICS_EXPORTER", "").split(",") if n.strip()]
    return [r for r in (_reader(n, environ) for n in names if n != "none") if r is not None]


def _reader(name: str, environ: Mapping[str, str]) -> Any:
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        PeriodicExportingMetricReader,
    )

    if name == "console":
        exporter: Any = ConsoleMetricExporter()
    elif name == "jsonl":
        exporter = json_lines_exporter(Path(environ.get("HOTPASS_METRICS_JSONL",
                                                        "dist/metrics.jsonl")))
    elif name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # type: ignore[import-not-found]
                OTLPMetricExporter,
            )
        except ImportError:
            log.warning("OTEL_METRICS_EXPORTER=otlp needs opentelemetry-exporter-otlp; "
                        "metrics are off")
            return None
        exporter = OTLPMetricExporter()
    else:
        log.warning("unknown OTEL_METRICS_EXPORTER %r; metrics exporter ignored", name)
        return None
    return PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)


def json_lines_exporter(path: Path) -> Any:
    """A MetricExporter that appends each export as one JSON line (the SDK's own JSON form).
    Built on demand so importing hotpass.telemetry does not import the OpenTelemetry SDK."""
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult

    class JsonLinesMetricExporter(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000,
                   **_: Any) -> Any:
            path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps(json.loads(metrics_data.to_json()), separators=(",", ":"))
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
            return None

    return JsonLinesMetricExporter()
