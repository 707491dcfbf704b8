from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from hotpass.errors import UsageError


def test_csv_output_keeps_issues_beside_it(inputs: Path, run_refine: Any, tmp_path: Path) -> None:
    (inputs / "orgs.csv").write_text("Organisation,Phone\nAcme,27821234567\n,0825550100\n")
    target = tmp_path / "out" / "refined.csv"
    result = run_refine(inputs, output_path=target).result
    assert result.outputs == [target, tmp_path / "out" / "refined-issues.csv"]
    with open(target, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["organization_name"] == "Acme"
    assert rows[0]["primary_contact_phone"] == "+27821234567"
    assert (rows[0]["hidden_in_source"], rows[0]["source_count"]) == ("False", "1")
    with open(result.outputs[1], newline="") as handle:
        assert [r["reason"] for r in csv.DictReader(handle)] == [
            "missing required field: organization_name"]


def test_parquet_output(inputs: Path, run_refine: Any, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\n")
    target = tmp_path / "refined.parquet"
    run_refine(inputs, output_path=target)
    table = pq.read_table(target).to_pylist()
    assert table[0]["primary_contact_email"] == "a@example.com"


def test_failed_expectation_exits_1_and_still_writes(inputs: Path, run_refine: Any,
                                                    tmp_path: Path) -> None:
    profile = tmp_path / "strict.yaml"
    profile.write_text(
        "name: strict\nfields:\n  organization_name: {type: text, synonyms: [organisation]}\n"
        "  contact_email: {type: email, synonyms: [email]}\nrequired: [organization_name]\n"
        "expectations:\n  - {name: everyone has email, metric: share_with_email, min: 1.0}\n")
    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\nKaroo,\n")
    out = run_refine(inputs, profile=str(profile))
    assert out.result.exit_code == 1
    assert out.result.expectations == [{"name": "everyone has email",
                                        "metric": "share_with_email", "value": 0.5,
                                        "min": 1.0, "max": None, "passed": False}]
    assert len(out.refined) == 2
    assert {"section": "expectation", "item": "everyone has email",
            "value": "FAIL: share_with_email = 0.5 (min 1.0)"} in out.summary


def test_bad_output_suffix_is_a_usage_error(inputs: Path, run_refine: Any,
                                            tmp_path: Path) -> None:
    (inputs / "orgs.csv").write_text("Organisation\nAcme\n")
    with pytest.raises(UsageError, match="must end in .xlsx, .csv, .parquet"):
        run_refine(inputs, output_path=tmp_path / "out.json")


def test_output_replaced_atomically(inputs: Path, run_refine: Any, tmp_path: Path) -> None:
    (inputs / "orgs.csv").write_text("Organisation\nAcme\n")
    target = tmp_path / "out" / "refined.xlsx"
    run_refine(inputs)
    run_refine(inputs)
    assert sorted(p.name for p in target.parent.iterdir()) == ["refined.xlsx"]


def test_a_single_column_sheet_keeps_its_header(inputs: Path, run_refine: Any) -> None:
    (inputs / "names.csv").write_text("Organisation\nAcme\nKaroo Air\n")
    out = run_refine(inputs)
    assert [r["organization_name"] for r in out.refined] == ["Acme", "Karoo Air"]


def test_an_output_inside_the_input_folder_is_not_read_back(inputs: Path,
                                                            run_refine: Any) -> None:
    (inputs / "orgs.csv").write_text("Organisation,Phone\nAcme,0825550100\n,0825550101\n")
    target = inputs / "refined.csv"
    run_refine(inputs, output_path=target)
    again = run_refine(inputs, output_path=target).result
    assert [i["path"] for i in again.inputs] == ["orgs.csv"]
    assert again.records_in == 2


def test_a_cell_longer_than_excel_holds_is_cut_in_the_workbook_and_whole_in_csv(
        inputs: Path, run_refine: Any, tmp_path: Path) -> None:
    rows = "".join(f"Acme Aviation,person{i}@example.com\n" for i in range(2500))
    (inputs / "orgs.csv").write_text("Organisation,Email\n" + rows)
    workbook = run_refine(inputs).refined[0]
    assert workbook["source_count"] == 2500
    assert len(workbook["provenance"]) == 32_767
    assert workbook["provenance"].endswith("the .csv/.parquet output has it whole]")
    run_refine(inputs, output_path=tmp_path / "refined.csv")
    with open(tmp_path / "refined.csv", newline="") as handle:
        provenance = next(csv.DictReader(handle))["provenance"]
    assert provenance.count("orgs.csv|") == 2500
