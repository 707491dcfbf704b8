"""A second incremental run reads only the changed file and its merged output equals a full
run's output; `since` overrides the checkpoint."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotpass.refine.checkpoint import FileCheckpointStore, checkpoint_key


def _write_inputs(folder: Path) -> None:
    (folder / "a.csv").write_text("Organisation,Email\nAcme,a@example.com\nKaroo,k@example.com\n")
    (folder / "b.csv").write_text("Organisation,Phone\nACME,0215550101\nCape Air,0215550102\n")
    (folder / "c.csv").write_text("Organisation,Website\nBlue Sky,bluesky.example.com\n")


def _age(path: Path, days: int) -> None:
    stamp = (datetime.now(UTC) - timedelta(days=days)).timestamp()
    os.utime(path, (stamp, stamp))


def test_second_incremental_run_reads_only_the_changed_file(inputs: Path, run_refine: Any,
                                                            tmp_path: Path) -> None:
    _write_inputs(inputs)
    first = run_refine(inputs, incremental=True)
    assert first.result.files_read == ["a.csv", "b.csv", "c.csv"]  # no checkpoint: full run
    (inputs / "b.csv").write_text("Organisation,Phone\nACME,0215550101\nCape Air,0215550199\n"
                                  "Drakensberg Air,0335550100\n")
    second = run_refine(inputs, incremental=True)
    assert second.result.files_read == ["b.csv"]
    full = run_refine(inputs, output_path=tmp_path / "full" / "refined.xlsx")
    assert second.refined == full.refined
    assert second.issues == full.issues
    assert len(second.refined) == 5
    assert second.result.records_in == full.result.records_in


def test_checkpoint_is_a_file_under_state_dir(inputs: Path, run_refine: Any,
                                              tmp_path: Path) -> None:
    _write_inputs(inputs)
    result = run_refine(inputs, incremental=True).result
    key = checkpoint_key(inputs, result.output_path, "generic")
    state = FileCheckpointStore(tmp_path / "state").load(key)
    assert state is not None and state["run_id"] == result.run_id


def test_since_overrides_the_checkpoint(inputs: Path, run_refine: Any) -> None:
    _write_inputs(inputs)
    for name in ("a.csv", "b.csv"):
        _age(inputs / name, 10)
    run_refine(inputs, incremental=True)
    again = run_refine(inputs, incremental=True, since=datetime.now(UTC) - timedelta(days=3))
    assert again.result.files_read == ["c.csv"]
    everything = run_refine(inputs, incremental=True,
                            since=datetime.now(UTC) - timedelta(days=30))
    assert everything.result.files_read == ["a.csv", "b.csv", "c.csv"]


def test_a_custom_checkpoint_store_is_used(inputs: Path, tmp_path: Path) -> None:
    from hotpass.refine.pipeline import RefineRequest, run_refinement
    from hotpass.telemetry import PipelineMetrics

    class MemoryStore:
        def __init__(self) -> None:
            self.saved: dict[str, Any] = {}

        def load(self, key: str) -> dict[str, Any] | None:
            return self.saved.get(key)

        def save(self, key: str, state: dict[str, Any]) -> None:
            self.saved[key] = state

    _write_inputs(inputs)
    store = MemoryStore()
    request = RefineRequest(inputs, tmp_path / "o.xlsx", incremental=True,
                            state_dir=tmp_path / "st")
    run_refinement(request, checkpoints=store, metrics=PipelineMetrics())
    assert len(store.saved) == 1
    second = run_refinement(request, checkpoints=store, metrics=PipelineMetrics())
    assert second.files_read == []
    assert not (tmp_path / "st" / f"{next(iter(store.saved))}.json").exists()
