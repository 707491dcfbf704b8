"""The refinement request refuses contradictory options wherever it is built: the library, the
Prefect flow body and the CLI all get the same UsageError."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotpass.errors import EXIT_USAGE, UsageError
from hotpass.refine.pipeline import RefineRequest, run_refinement
from hotpass.telemetry import PipelineMetrics

SINCE = datetime(2026, 1, 31, tzinfo=UTC)


def test_since_without_incremental_is_a_usage_error(inputs: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        RefineRequest(inputs, tmp_path / "o.xlsx", since=SINCE)
    assert raised.value.exit_code == EXIT_USAGE
    assert raised.value.render() == ("--since only applies to an incremental run\n"
                                     "  hint: add --incremental, or drop --since for a full run")


def test_since_with_incremental_runs(inputs: Path, tmp_path: Path) -> None:
    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\n")
    request = RefineRequest(inputs, tmp_path / "o.xlsx", incremental=True, since=SINCE,
                            state_dir=tmp_path / "state")
    result = run_refinement(request, metrics=PipelineMetrics())
    assert result.exit_code == 0 and result.records_out == 1


def test_flow_body_refuses_since_without_incremental(inputs: Path, tmp_path: Path) -> None:
    from hotpass.refine.flow import refinement_body

    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\n")
    with pytest.raises(UsageError, match="--since only applies to an incremental run"):
        refinement_body(input_dir=str(inputs), output_path=str(tmp_path / "o.xlsx"),
                        profile_name="generic", archive=False, dist_dir=str(tmp_path / "dist"),
                        backfill=False, incremental=False, since="2026-01-31")
    assert not (tmp_path / "o.xlsx").exists()
