"""`run_qa`: run the selected suites, write qa-report.json and the data-docs page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError, UsageError
from hotpass.paths import DEFAULT_MANIFEST_DIR
from hotpass.qa.checks import check_archives, check_manifests, check_profiles
from hotpass.qa.report import FAIL, PASS, CheckResult, DataProfile, QaReport, write_report

SUITES = ("manifests", "profiles", "data", "archives")
DEFAULT_PROFILE = "aviation"


@dataclass(frozen=True)
class QaRequest:
    suites: tuple[str, ...] = SUITES
    manifest_dir: Path = DEFAULT_MANIFEST_DIR
    profile: str | None = None
    input: Path = Path("data")
    archive_root: Path | None = None  # None: dist/archive, and a missing root only warns
    output: Path | None = Path("dist/qa-report.json")
    data_docs: Path | None = Path("dist/data-docs")
    work_dir: Path = Path("dist/qa")


def run_qa(request: QaRequest) -> QaReport:
    unknown = [s for s in request.suites if s not in SUITES]
    if unknown:
        raise UsageError(f"unknown QA suite(s): {', '.join(unknown)}; known: {', '.join(SUITES)}")
    checks: list[CheckResult] = []
    data_profile: DataProfile | None = None
    for suite in request.suites:
        if suite == "data":
            found, data_profile = run_data_suite(request)
            checks += found
        else:
            checks += _run_suite(suite, request)
    docs = data_docs_path(request.data_docs)
    report = QaReport(suites=request.suites, checks=tuple(checks), data_profile=data_profile,
                      output=request.output, data_docs=docs)
    if request.output is not None:
        write_report(request.output, report)
    if docs is not None:
        from hotpass.qa.datadocs import write_data_docs

        write_data_docs(docs, report)
    return report


def data_docs_path(target: Path | None) -> Path | None:
    """`--data-docs` names a folder (its index.html is written) or the .html file itself."""
    if target is None:
        return None
    return target if target.suffix.lower() in (".html", ".htm") else target / "index.html"


def _run_suite(suite: str, request: QaRequest) -> list[CheckResult]:
    if suite == "manifests":
        return check_manifests(request.manifest_dir)
    if suite == "profiles":
        return check_profiles([request.profile] if request.profile else None)
    root = request.archive_root or Path("dist/archive")
    return check_archives(root, explicit=request.archive_root is not None)


def run_data_suite(request: QaRequest) -> tuple[list[CheckResult], DataProfile | None]:
    """Refine `input` (a folder) into the work dir, or take `input` as a refined output file;
    then check every column against the profile and profile the output."""
    from hotpass.qa.data_checks import column_checks, expectation_checks
    from hotpass.qa.table import profile_table, read_table, workbook_expectations
    from hotpass.refine.profile import load_profile

    name = request.profile or DEFAULT_PROFILE
    try:
        profile = load_profile(name)
    except HotpassError as exc:
        return [CheckResult("data.profile", FAIL, exc.message, {"profile": name})], None
    checks: list[CheckResult] = []
    target = request.input
    if request.input.is_dir():
        target = request.work_dir / "refined.xlsx"
        refined = _refine_check(request.input, target, name)
        checks.append(refined[0])
        if refined[0].status == FAIL:
            return checks, None
        checks += expectation_checks(refined[1])
    else:
        checks += expectation_checks({"expectations": workbook_expectations(target)})
    try:
        header, rows = read_table(target)
    except HotpassError as exc:
        return [*checks, CheckResult("data.output", FAIL, exc.message,
                                     {"input": request.input.as_posix()})], None
    checks += column_checks(header, rows, profile)
    return checks, profile_table(target.as_posix(), header, rows)


def _refine_check(input_dir: Path, output: Path, profile: str
                  ) -> tuple[CheckResult, dict[str, Any]]:
    evidence: dict[str, Any] = {"input": input_dir.as_posix(), "output": output.as_posix(),
                                "profile": profile}
    try:
        summary = refine_summary(input_dir, output, profile)
    except HotpassError as exc:
        return CheckResult("data.refine", FAIL, exc.message, evidence), {}
    counts = {k: summary[k] for k in sorted(summary) if isinstance(summary[k], int)
              and not isinstance(summary[k], bool)}
    return CheckResult("data.refine", PASS, f"refined {input_dir.as_posix()} with profile "
                       f"{profile}", {**evidence, "counts": counts}), summary


def refine_summary(input_dir: Path, output: Path, profile: str) -> dict[str, Any]:
    """One refinement run through the refine library; its JSON summary."""
    from hotpass.refine.pipeline import RefineRequest, run_refinement

    result = run_refinement(RefineRequest(input_dir=input_dir, output_path=output,
                                          profile=profile))
    document: dict[str, Any] = result.to_json()
    return document
