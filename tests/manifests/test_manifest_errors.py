"""Every kind of bad manifest is reported with file, line and column, all problems at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotpass.errors import EXIT_USAGE, ManifestError
from hotpass.manifests import load_manifest_set

CASES = Path(__file__).parent / "cases"

# case folder, manifest set inside it, expected (file, line, substring of the message)
EXPECTED = {
    "yaml_syntax": ("prefect", "bad.yaml", 3, "invalid YAML"),
    "duplicate_key": ("prefect", "dup.yaml", 3, 'duplicate key "name"'),
    "wrong_type": ("prefect", "types.yaml", 4, "concurrency_limit: \"two\" is not valid"),
    "unknown_field": ("prefect", "unknown.yaml", 4, "retries: unknown field"),
    "bad_cron": ("prefect", "cron.yaml", 6, "invalid cron schedule"),
    "bad_rrule": ("prefect", "rrule.yaml", 6, "invalid rrule schedule"),
    "interval_zero": ("prefect", "interval.yaml", 6, "expected a number > 0"),
    "flow_missing": ("prefect", "flow.yaml", 3, "does not import"),
    "not_a_flow": ("prefect", "notflow.yaml", 3, "is not a Prefect flow"),
    "unknown_parameter": ("prefect", "params.yaml", 6,
                          "parameters.colour: the flow does not accept"),
    "missing_parameter": ("prefect", "required.yaml", 4,
                          "parameters.needed: required by the flow"),
    "duplicate_id": ("prefect", "b.yaml", 1, "duplicate id 'same'"),
    "extends_missing": ("prefect/staging", "refinement.yaml", 1, "does not exist"),
    "extends_cycle": ("prefect/staging", "a.yaml", 1, "extends cycle"),
    "extends_escape": ("prefect/staging", "escape.yaml", 1, "leaves the manifest tree"),
    "empty_file": ("prefect", "empty.yaml", 1, "the file is empty"),
    "not_mapping": ("prefect", "list.yaml", 1, "the document is a list"),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_manifest_is_located(case: str) -> None:
    set_dir, file_name, line, message = EXPECTED[case]
    with pytest.raises(ManifestError) as caught:
        load_manifest_set(CASES / case / set_dir)
    assert caught.value.exit_code == EXIT_USAGE
    located = [p for p in caught.value.problems
               if re.search(rf"{re.escape(file_name)}:{line}:\d+: ", p)]
    assert any(message in p for p in located), caught.value.problems


def test_all_problems_of_a_set_are_reported_together(tmp_path: Path) -> None:
    prefect = tmp_path / "prefect"
    prefect.mkdir()
    (prefect / "a.yaml").write_text(
        "id: a\nname: a\nflow: hotpass.orchestration:refinement_pipeline_flow\n"
        "concurrency_limit: 0\nschedule: {kind: cron, value: 'not cron'}\n"
        "parameters: {colour: red}\n")
    (prefect / "b.yaml").write_text("id: B\nname: b\nflow: nope:flow\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest_set(prefect)
    text = "\n".join(caught.value.problems)
    for expected in ("a.yaml:4:1: concurrency_limit", "a.yaml:5:", "cron",
                     "parameters.colour", "b.yaml:1:1: id", "b.yaml:3:1: flow"):
        assert expected in text
    assert len(caught.value.problems) == 5


def test_problem_lines_follow_the_documented_format(tmp_path: Path) -> None:
    prefect = tmp_path / "prefect"
    prefect.mkdir()
    (prefect / "x.yaml").write_text("id: x\nname: x\nflow: a.b:c\ntags: [1]\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest_set(prefect, check_flows=False)
    (problem,) = caught.value.problems
    assert re.fullmatch(r".*x\.yaml:4:\d+: tags\[0\]: 1 is not valid \(expected string\)", problem)
