from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from hotpass.refine.pipeline import RefineRequest, run_refinement
from hotpass.telemetry import PipelineMetrics, metrics_from_environment


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    found: dict[str, list[Any]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def test_run_emits_duration_and_records_with_profile_and_run_id(inputs: Path,
                                                                tmp_path: Path) -> None:
    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\n,x@example.com\n")
    reader = InMemoryMetricReader()
    request = RefineRequest(inputs, tmp_path / "o.xlsx", run_id="run-42")
    run_refinement(request, metrics=PipelineMetrics([reader]))
    points = _points(reader)
    (duration,) = points["hotpass.pipeline.duration"]
    assert dict(duration.attributes) == {"profile": "generic", "run_id": "run-42"}
    assert duration.count == 1
    records = {p.attributes["kind"]: p.value for p in points["hotpass.pipeline.records"]}
    assert records == {"in": 2, "out": 1, "rejected": 1}


def test_run_without_metrics_exports_once_to_the_configured_exporter(
        inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "metrics.jsonl"
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "jsonl")
    monkeypatch.setenv("HOTPASS_METRICS_JSONL", str(target))
    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\n")
    result = run_refinement(RefineRequest(inputs, tmp_path / "o.xlsx", run_id="run-7"))
    (line,) = target.read_text().splitlines()
    assert "hotpass.pipeline.duration" in line and "run-7" in line
    assert result.to_json()["timings"]["total_s"] >= 0


def test_metrics_are_off_unless_configured(tmp_path: Path) -> None:
    assert not metrics_from_environment({}).enabled
    assert not metrics_from_environment({"OTEL_METRICS_EXPORTER": "none"}).enabled


def test_json_lines_exporter_appends_one_line_per_export(tmp_path: Path) -> None:
    target = tmp_path / "metrics.jsonl"
    metrics = metrics_from_environment({"OTEL_METRICS_EXPORTER": "jsonl",
                                        "HOTPASS_METRICS_JSONL": str(target)})
    assert metrics.enabled
    metrics.record_run(duration_s=1.5, counts={"in": 3, "out": 2, "rejected": 1},
                       profile="aviation", run_id="r1")
    metrics.shutdown()
    lines = target.read_text().splitlines()
    assert len(lines) == 1
    text = json.dumps(json.loads(lines[0]))
    assert "hotpass.pipeline.duration" in text and "hotpass.pipeline.records" in text
