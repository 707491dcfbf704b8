"""`hotpass refine`: refine a folder of spreadsheets into one workbook (design §6)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hotpass.commands._render import emit, table

EPILOG = """examples:
  hotpass refine --input-dir data --output-path dist/refined.xlsx --profile aviation --archive
  hotpass refine --input-dir data --output-path dist/refined.csv --json
  hotpass refine --input-dir data --output-path dist/refined.xlsx --incremental
  hotpass refine --input-dir data --output-path dist/refined.xlsx --since 2026-01-31

exit codes: 0 ok, 1 an expectation failed (the output is still written), 2 bad arguments"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "refine", parents=[common], help="refine a folder of spreadsheets into one workbook",
        description="Read every .xlsx/.xlsm/.xls/.ods/.csv under --input-dir, normalise, "
        "deduplicate and validate the records, and write sheets refined, issues and summary.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input-dir", type=Path, required=True, help="folder of spreadsheets")
    parser.add_argument("--output-path", type=Path, required=True,
                        help="output file: .xlsx (refined/issues/summary), .csv or .parquet")
    parser.add_argument("--profile", default="generic",
                        help="built-in profile name (generic, aviation) or a YAML file")
    parser.add_argument("--archive", action="store_true",
                        help="zip the inputs into ARCHIVE_ROOT/<date>/hotpass-inputs-vN.zip")
    parser.add_argument("--archive-root", type=Path, default=Path("dist/archive"))
    parser.add_argument("--incremental", action="store_true",
                        help="read only files changed since the last incremental run")
    parser.add_argument("--since", default=None, metavar="ISO",
                        help="with --incremental: re-read files modified after this time")
    parser.add_argument("--state-dir", type=Path, default=Path("dist/state"),
                        help="where incremental checkpoints and cached records live")
    parser.add_argument("--run-id", default=None, help="identifier recorded in the summary")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from hotpass.refine.pipeline import RefineRequest, run_refinement
    from hotpass.refine.request import parse_since

    request = RefineRequest(
        input_dir=args.input_dir, output_path=args.output_path, profile=args.profile,
        archive=args.archive, archive_root=args.archive_root, incremental=args.incremental,
        since=parse_since(args.since), state_dir=args.state_dir, run_id=args.run_id)
    result = run_refinement(request)
    document = result.to_json()
    emit(args.json, document, render_text(document))
    code: int = result.exit_code
    return code


def render_text(summary: dict[str, Any]) -> str:
    lines = [
        f"refined {summary['records_in']} rows into {summary['records_out']} organisations "
        f"({summary['duplicates_merged']} duplicates merged, {summary['rejected']} rows "
        f"rejected, {summary['issues_count']} issues)",
        "output: " + ", ".join(summary["outputs"]),
    ]
    if summary["archive_path"]:
        lines.append(f"archive: {summary['archive_path']}")
    for problem in summary["problems"]:
        where = problem["source"] + (f" [{problem['sheet']}]" if problem["sheet"] else "")
        lines.append(f"problem: {where}: {problem['reason']}")
    if summary["expectations"]:
        rows = [(e["name"], e["metric"], e["value"], "pass" if e["passed"] else "FAIL")
                for e in summary["expectations"]]
        lines += ["", table(["expectation", "metric", "value", "result"], rows)]
    return "\n".join(lines)
