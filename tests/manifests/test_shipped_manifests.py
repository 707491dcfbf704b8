"""The manifests the project ships validate, agree with the schema, and state their modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from hotpass.manifests import load_manifest_set
from hotpass.manifests.manifest_set import manifest_files
from hotpass.paths import MANIFEST_DIR, schema_path

SETS = [MANIFEST_DIR, MANIFEST_DIR / "staging", MANIFEST_DIR / "prod"]


def test_schema_is_valid_2020_12_and_describes_every_field() -> None:
    schema = json.loads(schema_path("deployment-manifest").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    expected = {"id", "name", "flow", "description", "tags", "schedule", "parameters",
                "work_pool", "work_queue", "concurrency_limit", "job_variables",
                "enforce_parameter_schema", "image", "extends"}
    assert set(schema["properties"]) == expected


@pytest.mark.parametrize("directory", SETS, ids=lambda p: p.name)
def test_shipped_sets_validate(directory: Path) -> None:
    specs = load_manifest_set(directory).specs
    assert sorted(s.id for s in specs) == ["backfill", "refinement"]
    for spec in specs:
        assert {"incremental", "backfill"} <= set(spec.parameters)


@pytest.mark.parametrize("directory", SETS, ids=lambda p: p.name)
def test_shipped_files_carry_the_schema_modeline(directory: Path) -> None:
    for path in manifest_files(directory):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == schema_path("deployment-manifest").resolve()


def test_shipped_modes() -> None:
    specs = {s.id: s for s in load_manifest_set(MANIFEST_DIR).specs}
    refinement, backfill = specs["refinement"], specs["backfill"]
    assert refinement.schedule is not None and refinement.schedule.kind == "cron"
    assert (refinement.parameters["incremental"], refinement.parameters["backfill"]) == (True,
                                                                                          False)
    assert refinement.parameters["since"] is None
    assert backfill.schedule is not None and backfill.schedule.kind == "interval"
    assert backfill.schedule.active is False
    assert (backfill.parameters["incremental"], backfill.parameters["backfill"]) == (False, True)
    assert backfill.concurrency_limit is not None
    assert {"since", "archive_pattern", "concurrency_limit"} <= set(backfill.parameters)
