"""`hotpass qa`: quality checks with a JSON report and a static data-docs page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hotpass.commands._render import emit, table
from hotpass.paths import DEFAULT_MANIFEST_DIR

SUITE_CHOICES = ("all", "manifests", "profiles", "data", "archives", "ta")
EPILOG = """examples:
  hotpass qa all
  hotpass qa manifests --manifest-dir prefect/staging
  hotpass qa data --input data --profile aviation --data-docs dist/data-docs
  hotpass qa data --input dist/refined.xlsx --output dist/qa-report.json
  hotpass qa archives --archive-root dist/archive
  hotpass qa ta            # technical acceptance on a throw-away local Prefect server
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "qa", parents=[common], help="run quality checks and write a report and data docs",
        description="Run QA suites: manifests (valid, incremental/backfill stated), profiles, "
        "data (refine the input, check every column, profile the output), archives (safe, "
        "checksums match). Each check reports pass, warn or fail; exit 1 if any fails.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", choices=SUITE_CHOICES,
                   help="which suite to run (all: every one but ta)")
    p.add_argument("--manifest-dir", type=Path, default=DEFAULT_MANIFEST_DIR,
                   help="manifest set; its sub-folders (overlays) are checked too "
                   "(default prefect)")
    p.add_argument("--profile", help="profile name or file (default: every built-in for "
                   "`profiles`, aviation for `data`)")
    p.add_argument("--input", type=Path, default=Path("data"),
                   help="input folder to refine, or a refined .xlsx/.csv/.parquet (default data)")
    p.add_argument("--archive-root", type=Path,
                   help="archive folder to verify (default dist/archive; missing only warns)")
    p.add_argument("--output", type=Path, default=Path("dist/qa-report.json"),
                   help="report file (default dist/qa-report.json)")
    p.add_argument("--data-docs", type=Path, default=Path("dist/data-docs"),
                   help="data docs folder (index.html is written) or .html file "
                   "(default dist/data-docs)")
    p.add_argument("--work-dir", type=Path, default=Path("dist/qa"),
                   help="where the data suite writes its refined output (default dist/qa)")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.suite == "ta":
        return _run_ta(args)
    from hotpass.qa.runner import SUITES, QaRequest, run_qa

    suites = SUITES if args.suite == "all" else (args.suite,)
    report = run_qa(QaRequest(suites=suites, manifest_dir=args.manifest_dir, profile=args.profile,
                              input=args.input, archive_root=args.archive_root,
                              output=args.output, data_docs=args.data_docs,
                              work_dir=args.work_dir))
    emit(args.json, report.to_json(), render(report))
    return report.exit_code


def _run_ta(args: argparse.Namespace) -> int:
    from hotpass.prefect_local.acceptance import run_technical_acceptance

    result = run_technical_acceptance(manifest_dir=args.manifest_dir)
    emit(args.json, result.to_json(), render_ta(result))
    code: int = result.exit_code
    return code


def render_ta(result: Any) -> str:
    """The acceptance checks as a table, then the verdict and where the evidence is."""
    rows = [(c.id, c.status, c.message.splitlines()[0]) for c in result.checks]
    verdict = "passed" if result.exit_code == 0 else "FAILED"
    return (f"{table(('check', 'status', 'message'), rows)}\n\ntechnical acceptance "
            f"{verdict} in {result.seconds:.0f}s (evidence in {result.work_dir})")


def render(report: Any) -> str:
    """The checks as a table, then the overall status and where the report went."""
    rows = [(c.id, c.status, c.message.splitlines()[0] if c.message else "")
            for c in report.checks]
    counts = report.counts
    lines = [table(["check", "status", "message"], rows), "",
             f"qa {report.status}: {counts['pass']} pass, {counts['warn']} warn, "
             f"{counts['fail']} fail"]
    if report.output:
        lines.append(f"report: {report.output}")
    if report.data_docs:
        lines.append(f"data docs: {report.data_docs}")
    return "\n".join(lines)
