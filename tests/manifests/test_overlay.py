"""`extends` overlays deep-merge over their base; the merged result is what gets validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpass.errors import ManifestError
from hotpass.manifests import load_manifest_set
from hotpass.manifests.overlay import deep_merge

BASE = """\
id: refinement
name: hotpass-refinement
flow: hotpass.orchestration:refinement_pipeline_flow
tags: [hotpass, refinement]
schedule: {kind: cron, value: "0 6 * * *", timezone: UTC}
parameters: {input_dir: data, archive: true, since: "2024-01-01"}
work_pool: base-pool
"""


def test_deep_merge_rules() -> None:
    base = {"a": {"x": 1, "y": 2}, "l": [1, 2], "s": "base", "gone": 1}
    overlay = {"a": {"y": 3}, "l": [9], "s": "overlay", "gone": None}
    assert deep_merge(base, overlay) == {"a": {"x": 1, "y": 3}, "l": [9], "s": "overlay"}


def test_overlay_merges_over_base(tmp_path: Path) -> None:
    prefect = tmp_path / "prefect"
    (prefect / "staging").mkdir(parents=True)
    (prefect / "refinement.yaml").write_text(BASE)
    (prefect / "staging" / "refinement.yaml").write_text(
        "extends: ../refinement.yaml\ntags: [staging]\nwork_pool: staging-pool\n"
        "schedule: {timezone: Africa/Johannesburg}\nparameters: {archive: false, since: null}\n")
    (spec,) = load_manifest_set(prefect / "staging").specs
    assert spec.tags == ("staging",)
    assert spec.work_pool == "staging-pool"
    assert spec.schedule is not None
    assert (spec.schedule.value, spec.schedule.timezone) == ("0 6 * * *", "Africa/Johannesburg")
    assert spec.parameters == {"input_dir": "data", "archive": False}
    assert spec.source == prefect / "staging" / "refinement.yaml"


def test_error_in_inherited_field_points_at_the_base(tmp_path: Path) -> None:
    prefect = tmp_path / "prefect"
    (prefect / "prod").mkdir(parents=True)
    (prefect / "refinement.yaml").write_text(BASE.replace("work_pool: base-pool", "retries: 2"))
    (prefect / "prod" / "refinement.yaml").write_text("extends: ../refinement.yaml\nfoo: 1\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest_set(prefect / "prod")
    text = "\n".join(caught.value.problems)
    assert "refinement.yaml:7:1: retries: unknown field" in text
    assert "prod/refinement.yaml:2:1: foo: unknown field" in text


def test_subfolders_are_not_loaded_with_the_base_set(tmp_path: Path) -> None:
    prefect = tmp_path / "prefect"
    (prefect / "staging").mkdir(parents=True)
    (prefect / "refinement.yaml").write_text(BASE)
    (prefect / "staging" / "broken.yaml").write_text("not: [valid\n")
    assert [s.id for s in load_manifest_set(prefect).specs] == ["refinement"]
