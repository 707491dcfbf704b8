"""`hotpass backfill`: replay archived input bundles over a window (design §7)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from hotpass.commands._render import emit, table

if TYPE_CHECKING:
    from hotpass.backfill.plan import BackfillPlan, BackfillRequest
    from hotpass.backfill.run import BackfillEvent, BackfillResult

EPILOG = """examples:
  hotpass backfill --start-date 2024-03-01 --end-date 2024-03-07 --dry-run
  hotpass backfill --start-date 2024-03-01 --end-date 2024-03-07 --version v1 --concurrency 2
  hotpass backfill --config backfill.toml --start-date 2024-03-01 --end-date 2024-03-31
  hotpass backfill --start-date 2024-03-01 --end-date 2024-03-07 --via-prefect
  hotpass backfill --resume bf-20240301-20240307-1a2b3c4d --rerun failed

The state of a backfill is saved after every run in <restore-root>/backfill-<id>.json; running
the same window again continues it. Exit 1 if any run failed."""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "backfill", parents=[common], help="replay archived inputs over a window of dates",
        description="Restore <archive-root>/<pattern> for every date × version of the window "
        "and refine each into <restore-root>/outputs/refined-<date>--<version>.xlsx, up to "
        "--concurrency at once (a local process pool, or Prefect child runs with "
        "--via-prefect). Resumable: see --resume and --rerun.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--start-date", metavar="YYYY-MM-DD", help="first date of the window "
                   "(default: 6 days before the end date, i.e. the 7 days ending there)")
    p.add_argument("--end-date", metavar="YYYY-MM-DD", help="last date (inclusive; default today)")
    p.add_argument("--version", dest="versions", action="append", metavar="V",
                   help="archive version, repeatable (default: every version archived per date)")
    p.add_argument("--config", type=Path, metavar="FILE.toml",
                   help="defaults from [orchestrator.backfill] and [pipeline] profile")
    p.add_argument("--archive-root", help="folder of archives (default dist/archive)")
    p.add_argument("--restore-root", help="folder for restored inputs, outputs and state "
                   "(default dist/backfill)")
    p.add_argument("--archive-pattern", metavar="P", help="archive path under the root "
                   "(default {date:%%Y-%%m-%%d}/hotpass-inputs-{version}.zip)")
    p.add_argument("--profile", help="refinement profile name or YAML file (default generic)")
    p.add_argument("--archive", action="store_true",
                   help="re-bundle each run's inputs under <restore-root>/archive")
    p.add_argument("--concurrency", type=int, metavar="N", help="runs at once (default 2)")
    p.add_argument("--max-extract-bytes", type=int, metavar="N",
                   help="refuse archives larger than N bytes uncompressed (default 2 GiB)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan (runs, archives, what will run); write nothing")
    p.add_argument("--resume", metavar="ID", help="continue backfill ID (from its state file)")
    p.add_argument("--rerun", choices=("missing", "failed", "all"), default="missing",
                   help="which runs of an existing backfill run again: missing (default, runs "
                   "that never finished), failed (also failures), all")
    p.add_argument("--via-prefect", action="store_true",
                   help="run each as a child flow run of the refinement deployment on the work "
                   "pool (local fallback, with a warning, when no worker is online)")
    p.add_argument("--api-url", help="Prefect API URL (default PREFECT_API_URL or the local "
                   "server of `hotpass server start`)")
    p.add_argument("--deployment", metavar="FLOW/NAME", help="refinement deployment the runs "
                   "are submitted to (default hotpass-refinement-pipeline/hotpass-refinement)")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from hotpass.backfill.plan import plan
    from hotpass.backfill.run import run_backfill

    request = build_request(args)
    if args.dry_run:
        preview = plan(request)
        emit(args.json, preview.to_json(), render_plan(preview))
        return 0
    progress = Progress(sys.stderr)
    try:
        result = run_backfill(request, on_event=progress.on_event)
    finally:
        progress.close()
    emit(args.json, result.to_json(), render_result(result))
    return result.exit_code


def build_request(args: argparse.Namespace) -> BackfillRequest:
    """The flags as BackfillOptions → the library's request; its notes go to stderr."""
    from hotpass.backfill.request import BackfillOptions
    from hotpass.backfill.request import build_request as resolve

    resolved = resolve(BackfillOptions(
        start_date=args.start_date, end_date=args.end_date, versions=tuple(args.versions or ()),
        config=args.config, archive_root=args.archive_root, restore_root=args.restore_root,
        archive_pattern=args.archive_pattern, profile=args.profile,
        concurrency=args.concurrency, max_extract_bytes=args.max_extract_bytes,
        resume=args.resume, rerun=args.rerun, archive=args.archive,
        via_prefect=args.via_prefect, api_url=args.api_url, deployment=args.deployment,
        dry_run=args.dry_run))
    for note in resolved.notes:
        print(f"note: {note}", file=sys.stderr)
    return resolved.request


class Progress:
    """A rich progress bar on a terminal, plain lines otherwise; always on `stream` (stderr)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream, self._done, self._total = stream, 0, 0
        self._bar: Any = None
        self._task: Any = None

    def on_event(self, event: BackfillEvent) -> None:
        if event.kind == "warning":
            self._write(f"warning: {event.message}")
        elif event.kind == "start":
            self._total = event.total
            self._start(event.total, event.message)
        elif event.record is not None:
            self._done += 1
            self._advance(event.record)

    def _start(self, total: int, executor: str) -> None:
        if not self._stream.isatty() or total == 0:
            self._write(f"running {total} backfill run(s) ({executor})")
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress("[progress.description]{task.description}", BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(file=self._stream), transient=False)
        self._bar.start()
        self._task = self._bar.add_task(f"backfill ({executor})", total=total)

    def _advance(self, record: Any) -> None:
        line = (f"[{self._done}/{self._total}] {record.label} {record.status} in "
                f"{record.seconds or 0:.1f} s" + (f": {record.error}" if record.error else ""))
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
            self._bar.advance(self._task)
        else:
            self._write(line)

    def _write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
        else:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def render_result(result: BackfillResult) -> str:
    from hotpass.backfill.state import totals

    rows = [[r.run_date, r.version, r.status, _count(r.records_in), _count(r.records_out),
             _count(r.rejected), f"{r.seconds:.1f}" if r.seconds is not None else "-",
             r.error or ""] for r in result.runs]
    summary = totals(result.runs)
    lines = [table(["date", "version", "status", "in", "out", "rejected", "seconds", "error"],
                   rows),
             f"totals: {summary['runs']} runs, {summary['completed']} completed, "
             f"{summary['failed']} failed; records in {summary['records_in']}, out "
             f"{summary['records_out']}, rejected {summary['rejected']}; "
             f"{summary['seconds']:.1f} s of run time",
             f"backfill {result.backfill_id} ({result.executor}): ran {len(result.ran)} run(s); "
             f"state {result.state_path}"]
    lines += [f"warning: {w}" for w in result.warnings]
    if result.missing_dates:
        lines.append(f"no archive for: {', '.join(result.missing_dates)}")
    if result.exit_code:
        lines.append(f"to redo the failures: hotpass backfill --resume {result.backfill_id} "
                     f"--restore-root {result.state_path.parent} --rerun failed")
    return "\n".join(lines)


def render_plan(preview: BackfillPlan) -> str:
    rows = [[i.record.run_date, i.record.version, i.record.archive_path,
             "yes" if i.archive_exists else "MISSING", i.record.status,
             "yes" if i.will_run else "no"] for i in preview.items]
    will = sum(1 for i in preview.items if i.will_run)
    missing = sum(1 for i in preview.items if not i.archive_exists)
    lines = [table(["date", "version", "archive", "exists", "status", "will run"], rows),
             f"backfill {preview.backfill_id}"
             f"{' (continues the existing state)' if preview.resumed else ''}: "
             f"{will} of {len(preview.items)} run(s) will run under --rerun {preview.rerun}; "
             f"{missing} archive(s) missing; dry run, nothing written"]
    if preview.missing_dates:
        lines.append(f"no archive for: {', '.join(preview.missing_dates)}")
    return "\n".join(lines)
