"""`hotpass qa`: manifests, profiles, archives and data (on a refined file) suites, the report
schema and the static data docs."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hotpass.qa.report import validate_report
from hotpass.qa.runner import QaRequest, run_qa

REPO = Path(__file__).resolve().parents[2]


def qa(tmp_path: Path, *args: str) -> tuple[int, dict[str, object], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "qa", *args, "--json",
         "--output", str(tmp_path / "qa-report.json"), "--data-docs", str(tmp_path / "docs")],
        cwd=tmp_path, capture_output=True, text=True, check=False)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else {}, proc.stderr


def statuses(document: dict[str, object]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in document["checks"]}  # type: ignore[attr-defined,index]


@pytest.fixture()
def manifests(tmp_path: Path) -> Path:
    target = tmp_path / "prefect"
    shutil.copytree(REPO / "prefect", target)
    return target


def test_shipped_manifests_pass(tmp_path: Path, manifests: Path) -> None:
    code, doc, _ = qa(tmp_path, "manifests", "--manifest-dir", str(manifests))
    assert code == 0
    assert statuses(doc) == {f"manifests.{s}.{c}": "pass" for s in ("base", "prod", "staging")
                             for c in ("valid", "flags")}
    written = json.loads((tmp_path / "qa-report.json").read_text())
    validate_report(written)
    assert written["status"] == "pass"


def test_manifest_without_incremental_fails(tmp_path: Path, manifests: Path) -> None:
    path = manifests / "refinement.yaml"
    path.write_text(path.read_text().replace("  incremental: true\n", ""))
    code, doc, _ = qa(tmp_path, "manifests", "--manifest-dir", str(manifests))
    assert code == 1
    flags = next(c for c in doc["checks"] if c["id"] == "manifests.base.flags")  # type: ignore[attr-defined]
    assert flags["status"] == "fail"
    assert "refinement: incremental" in flags["message"]


def test_invalid_or_missing_manifest_dir_fails(tmp_path: Path, manifests: Path) -> None:
    (manifests / "refinement.yaml").write_text("id: [unclosed\n")
    code, doc, _ = qa(tmp_path, "manifests", "--manifest-dir", str(manifests))
    assert code == 1 and statuses(doc)["manifests.base.valid"] == "fail"
    code, doc, _ = qa(tmp_path, "manifests", "--manifest-dir", str(tmp_path / "nowhere"))
    assert code == 1 and statuses(doc) == {"manifests.base.valid": "fail"}


def test_profiles_suite_reports_bad_profile(tmp_path: Path) -> None:
    code, doc, _ = qa(tmp_path, "profiles")
    assert code == 0 and set(statuses(doc).values()) == {"pass"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfields: 3\n")
    code, doc, _ = qa(tmp_path, "profiles", "--profile", str(bad))
    assert code == 1 and statuses(doc) == {"profiles.bad": "fail"}


def _archive(root: Path, day: str, version: str, files: dict[str, bytes], *,
             sums: dict[str, bytes] | None = None) -> Path:
    path = root / day / f"hotpass-inputs-{version}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    listed = files if sums is None else sums
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("SHA256SUMS", "".join(
            f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in listed.items()))
    return path


def test_archives_suite(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    code, doc, _ = qa(tmp_path, "archives", "--archive-root", str(root))
    assert code == 1 and statuses(doc) == {"archives.present": "fail"}
    _archive(root, "2026-01-01", "v1", {"a.csv": b"x\n"})
    _archive(root, "2026-01-02", "v1", {"a.csv": b"x\n"}, sums={"a.csv": b"other"})
    _archive(root, "2026-01-03", "v1", {"../evil.csv": b"x"})
    code, doc, _ = qa(tmp_path, "archives", "--archive-root", str(root))
    assert code == 1
    assert statuses(doc) == {"archives.2026-01-01.v1": "pass", "archives.2026-01-02.v1": "fail",
                             "archives.2026-01-03.v1": "fail"}
    messages = " ".join(c["message"] for c in doc["checks"])  # type: ignore[attr-defined]
    assert "does not match its checksum" in messages and "unsafe entry" in messages


def test_default_archive_root_missing_only_warns(tmp_path: Path) -> None:
    code, doc, _ = qa(tmp_path, "archives")
    assert code == 0 and statuses(doc) == {"archives.present": "warn"}


REFINED_CSV = """\
organization_name,contact_name,contact_email,contact_phone,website,province,category
Acme Aviation,Jane Doe,jane@example.org,+27821234567,https://acme.example.org,Gauteng,Flight School
Beta Air,,ops@example.net; info@example.net,,https://beta.example.net,KwaZulu-Natal,Broker
Gamma Flight,John Roe,John@Example.org,0821234567,,Nowhere,broker
,Nobody,,,,,
"""


def test_data_suite_on_refined_file(tmp_path: Path) -> None:
    refined = tmp_path / "refined.csv"
    refined.write_text(REFINED_CSV)
    code, doc, _ = qa(tmp_path, "data", "--input", str(refined), "--profile", "aviation")
    assert code == 1
    result = statuses(doc)
    assert result["data.columns.organization_name"] == "fail"  # one empty required value
    assert result["data.columns.contact_email"] == "fail"  # upper case survived refinement
    assert result["data.columns.contact_phone"] == "fail"  # not E.164
    assert result["data.columns.website"] == "pass"
    assert result["data.columns.province"] == "warn"
    assert result["data.columns.category"] == "warn"
    email = next(c for c in doc["checks"] if c["id"] == "data.columns.contact_email")  # type: ignore[attr-defined]
    assert email["evidence"]["values_checked"] == 4 and email["evidence"]["values_failed"] == 1
    profile = doc["data_profile"]
    assert profile["rows"] == 4  # type: ignore[index]
    columns = {c["name"]: c for c in profile["columns"]}  # type: ignore[index]
    assert columns["contact_name"]["nulls"] == 1 and columns["contact_name"]["null_share"] == 0.25
    html = (tmp_path / "docs" / "index.html").read_text()
    assert "<script" not in html.lower()
    assert "jane@example.org" not in html and "+27821234567" not in html
    assert "data.columns.contact_email" in html and "Refined output profile" in html


def test_data_suite_missing_input_is_a_fail(tmp_path: Path) -> None:
    code, doc, _ = qa(tmp_path, "data", "--input", str(tmp_path / "missing.xlsx"))
    assert code == 1 and statuses(doc) == {"data.output": "fail"}


def test_report_is_byte_stable_and_html_escapes(tmp_path: Path, manifests: Path) -> None:
    request = QaRequest(suites=("manifests", "profiles"), manifest_dir=manifests,
                        output=tmp_path / "r.json", data_docs=tmp_path / "d")
    run_qa(request)
    first = (tmp_path / "r.json").read_bytes(), (tmp_path / "d" / "index.html").read_bytes()
    run_qa(request)
    assert first == ((tmp_path / "r.json").read_bytes(),
                     (tmp_path / "d" / "index.html").read_bytes())
    (manifests / "backfill.yaml").write_text("id: <b>x</b>\n")
    run_qa(request)
    assert "<b>x</b>" not in (tmp_path / "d" / "index.html").read_text()


def test_data_suite_refines_the_sample_inputs(tmp_path: Path) -> None:
    code, doc, _ = qa(tmp_path, "data", "--input", str(REPO / "data"), "--profile", "aviation",
                      "--work-dir", str(tmp_path / "work"))
    assert code == 0, doc
    result = statuses(doc)
    assert result["data.refine"] == "pass"
    assert any(k.startswith("data.expectations.") for k in result)
    assert result["data.columns.organization_name"] == "pass"
    assert (tmp_path / "work" / "refined.xlsx").is_file()
    profile = doc["data_profile"]
    assert profile["rows"] > 0  # type: ignore[index]
    html = (tmp_path / "docs" / "index.html").read_text()
    assert "@" not in html.split("Refined output profile")[1]  # contact data redacted


def test_data_docs_accepts_an_html_file_name(tmp_path: Path, manifests: Path) -> None:
    report = run_qa(QaRequest(suites=("manifests",), manifest_dir=manifests, output=None,
                              data_docs=tmp_path / "docs" / "qa.html"))
    assert report.data_docs == tmp_path / "docs" / "qa.html"
    assert (tmp_path / "docs" / "qa.html").read_text().startswith("<!DOCTYPE html>")


def test_data_suite_reads_expectations_from_a_refined_workbook(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "refined.xlsx"
    book = xlsxwriter.Workbook(str(path))
    refined = book.add_worksheet("refined")
    for row, values in enumerate([["organization_name"], ["Acme Aviation"]]):
        refined.write_row(row, 0, values)
    summary = book.add_worksheet("summary")
    rows = [["section", "item", "value"],
            ["expectation", "has email", "fail: share_with_email = 0.1 (min 0.5)"],
            ["expectation", "has rows", "pass: records_out = 1.0 (min 1)"]]
    for row, values in enumerate(rows):
        summary.write_row(row, 0, values)
    book.close()
    code, doc, _ = qa(tmp_path, "data", "--input", str(path), "--profile", "aviation")
    assert code == 1
    result = statuses(doc)
    assert result["data.expectations.has_email"] == "fail"
    assert result["data.expectations.has_rows"] == "pass"
    assert result["data.columns.organization_name"] == "pass"


def test_column_severity_comes_from_the_rule_not_its_wording() -> None:
    from hotpass.qa.data_checks import Rule, _column_result, _rule
    from hotpass.refine.profile import load_profile

    def never(value: str) -> bool:
        return False

    for severity in ("fail", "warn"):
        for description in ("a valid thing", "an item", "one of x, y", "something"):
            result = _column_result("c", "f", ["v"], False, Rule(description, never, severity))
            assert result.status == severity, (description, severity)
    profile = load_profile("aviation")
    kinds = {spec.type: name for name, spec in profile.fields.items()}
    for kind, severity in (("email", "fail"), ("phone", "fail"), ("url", "fail"),
                           ("province", "warn"), ("category", "warn")):
        rule = _rule(profile, kinds[kind], kind)
        assert rule is not None and rule.severity == severity, kind


def test_archives_accept_what_a_backfill_restores(tmp_path: Path) -> None:
    """Binary-mode (`*name`) lines and upper-case digests, as `sha256sum -b` and the backfill's
    extraction accept them, pass `qa archives` too."""
    from hotpass.qa.checks import check_archives

    root = tmp_path / "archive"
    path = root / "2026-01-01" / "hotpass-inputs-v1.zip"
    path.parent.mkdir(parents=True)
    a, b = hashlib.sha256(b"x").hexdigest().upper(), hashlib.sha256(b"y").hexdigest()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", b"x")
        archive.writestr("sub/b.csv", b"y")
        archive.writestr("SHA256SUMS", f"{a} *a.csv\n\n{b}  sub/b.csv\r\n")
    [result] = check_archives(root, explicit=True)
    assert result.status == "pass", result.message
    assert result.evidence["files"] == 2
