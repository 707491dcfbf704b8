"""What a user asks for (flags, task arguments, flow parameters, a TOML file) → one
BackfillRequest.

The CLI, the Invoke tasks and the backfill flow all build `BackfillOptions` and call
`build_request`; notes for the user (e.g. the default window that was chosen) come back for the
adapter to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from hotpass.backfill.plan import BackfillRequest

if TYPE_CHECKING:
    from hotpass.backfill.prefect_fanout import PrefectTarget


@dataclass(frozen=True)
class BackfillOptions:
    """Everything optional: None means "not given" (the config file or the default applies)."""

    start_date: str | None = None
    end_date: str | None = None
    since: str | None = None  # the start when no start date is given (the flow's parameter)
    versions: tuple[str, ...] = ()
    runs: tuple[dict[str, str], ...] = ()  # explicit {run_date, version} pairs: no window
    config: Path | None = None
    archive_root: str | Path | None = None
    restore_root: str | Path | None = None
    archive_pattern: str | None = None
    profile: str | None = None
    concurrency: int | None = None
    max_extract_bytes: int | None = None
    resume: str | None = None
    rerun: str = "missing"
    archive: bool = False
    via_prefect: bool = False
    api_url: str | None = None
    deployment: str | None = None
    dry_run: bool = False
    # built inside a flow run: its own Prefect settings reach the API, resolved when used
    inside_flow_run: bool = False


@dataclass(frozen=True)
class ResolvedRequest:
    request: BackfillRequest
    notes: tuple[str, ...] = ()


def build_request(options: BackfillOptions) -> ResolvedRequest:
    """Defaults, then the config file, then the options given; the window (see `_window`); the
    Prefect target for --via-prefect."""
    from hotpass.backfill.config import merged_settings
    from hotpass.backfill.window import check_version, parse_runs

    settings = merged_settings(
        options.config, archive_root=options.archive_root, restore_root=options.restore_root,
        archive_pattern=options.archive_pattern, profile=options.profile,
        concurrency_limit=options.concurrency, max_extract_bytes=options.max_extract_bytes)
    start, end, notes = _window(options)
    request = BackfillRequest(
        start_date=start, end_date=end,
        versions=tuple(check_version(v) for v in options.versions),
        runs=tuple(parse_runs(options.runs)),
        archive_root=Path(settings["archive_root"]),
        restore_root=Path(settings["restore_root"]),
        archive_pattern=settings["archive_pattern"], profile=settings["profile"],
        concurrency=settings["concurrency_limit"], rerun=options.rerun,
        archive=options.archive, via_prefect=options.via_prefect,
        prefect=_prefect_target(options), max_extract_bytes=settings["max_extract_bytes"],
        resume_id=options.resume)
    return ResolvedRequest(request, notes)


def _window(options: BackfillOptions) -> tuple[date | None, date | None, tuple[str, ...]]:
    """No window for an explicit runs list, nor when resuming without dates; else from the start
    date (or `since`) to the end date (or today), and 7 days ending at the end date when neither
    start nor `since` is given (with a note saying so)."""
    from hotpass.backfill.window import describe_window, resolve_window, window_is_default

    dated = options.start_date or options.end_date or options.since
    if options.runs or (options.resume and not dated):
        return None, None, ()
    start, end = resolve_window(options.start_date, options.end_date, options.since)
    if window_is_default(options.start_date, options.since):
        return start, end, (describe_window(start, end, default=True),)
    return start, end, ()


def _prefect_target(options: BackfillOptions) -> PrefectTarget:
    from hotpass.backfill.prefect_fanout import PrefectTarget

    target = PrefectTarget()
    if not options.via_prefect or options.dry_run or options.inside_flow_run:
        return target  # a plan needs no server; a flow run's client finds its own
    from hotpass.prefect_local.client import resolve_api_url

    return PrefectTarget(api_url=resolve_api_url(options.api_url),
                         deployment=options.deployment or target.deployment)
