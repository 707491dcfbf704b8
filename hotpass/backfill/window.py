"""The backfill window: dates × versions, and where each run's archive lives.

The archive path is `<archive-root>/` + `archive_pattern.format(date=…, version=…)`; a pattern
that resolves outside the root is refused (design §7)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hotpass.errors import UsageError

DEFAULT_PATTERN = "{date:%Y-%m-%d}/hotpass-inputs-{version}.zip"
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SENTINEL = "\x00version\x00"
DEFAULT_WINDOW_DAYS = 7  # no start date and no `since`: the week ending at the end date


@dataclass(frozen=True, order=True)
class RunKey:
    """One run of a backfill: the archive of `version` for `run_date`."""

    run_date: date
    version: str

    @property
    def label(self) -> str:
        """`<date>--<version>`: the restore folder and output file stem of this run."""
        return f"{self.run_date.isoformat()}--{self.version}"


def parse_date(value: str | date, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date",
                         hint="use the ISO form YYYY-MM-DD, e.g. 2024-03-01") from None


def check_version(version: str) -> str:
    if not VERSION_RE.match(version) or ".." in version:
        raise UsageError(f"archive version {version!r} is not a valid version name",
                         hint="use letters, digits, '.', '_' or '-', e.g. v1")
    return version


def window_dates(start: date, end: date) -> list[date]:
    """Every date from `start` to `end`, both included."""
    if end < start:
        raise UsageError(f"the window ends ({end}) before it starts ({start})",
                         hint="swap --start-date and --end-date")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def resolve_window(start_date: str | date | None, end_date: str | date | None,
                   since: str | date | None) -> tuple[date, date]:
    """Start at `start_date`, else `since`, else DEFAULT_WINDOW_DAYS before the end (the
    backfill deployment's weekly interval); end at `end_date`, else today (UTC)."""
    end = parse_date(end_date, "end date") if end_date else datetime.now(UTC).date()
    first = start_date if start_date not in (None, "") else since
    if first is None or first == "":
        return end - timedelta(days=DEFAULT_WINDOW_DAYS - 1), end
    return parse_date(first, "start date"), end


def window_is_default(start_date: str | date | None, since: str | date | None) -> bool:
    """Whether neither a start date nor `since` was given (the default window applies)."""
    return start_date in (None, "") and since in (None, "")


def describe_window(start: date, end: date, *, default: bool) -> str:
    """One line naming the window, and why when it is the default one."""
    text = f"backfill window {start} to {end} ({(end - start).days + 1} day(s))"
    return text + (f": no start date or since given, so the {DEFAULT_WINDOW_DAYS} days ending "
                   "at the end date" if default else "")


def archive_path(archive_root: Path, pattern: str, key: RunKey) -> Path:
    """The archive of one run; refuses a pattern that leaves `archive_root`."""
    relative = format_pattern(pattern, key.run_date, key.version)
    return _inside_root(archive_root, relative, pattern)


def format_pattern(pattern: str, run_date: date, version: str) -> str:
    try:
        return pattern.format(date=run_date, version=version)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise UsageError(f"archive pattern {pattern!r} cannot be formatted: {exc}",
                         hint="use only the fields {date} (strftime spec allowed) and {version}, "
                         "e.g. " + DEFAULT_PATTERN) from None


def _inside_root(archive_root: Path, relative: str, pattern: str) -> Path:
    root = Path(os.path.abspath(archive_root))
    if Path(relative).is_absolute() or relative.startswith(("/", "\\")):
        raise UsageError(f"archive pattern {pattern!r} gives an absolute path ({relative})",
                         hint="the pattern must be relative to --archive-root")
    candidate = Path(os.path.normpath(root / relative))
    real_root = Path(os.path.realpath(root))
    real_candidate = Path(os.path.realpath(candidate))
    if not (real_candidate.is_relative_to(real_root) and candidate.is_relative_to(root)):
        raise UsageError(f"archive pattern {pattern!r} resolves outside the archive root "
                         f"{root} ({relative})",
                         hint="remove '..' and absolute parts from the pattern")
    return candidate


def discover_versions(archive_root: Path, pattern: str, run_date: date) -> list[str]:
    """Every version archived for `run_date` under the root, in natural order (v2 before v10)."""
    if "{version" not in pattern:
        raise UsageError(f"archive pattern {pattern!r} has no {{version}} field",
                         hint="add {version} to the pattern or pass --version")
    shaped = format_pattern(pattern, run_date, _SENTINEL)
    _inside_root(archive_root, shaped.replace(_SENTINEL, "v"), pattern)
    glob = shaped.replace(_SENTINEL, "*")
    regex = re.compile("^" + re.escape(shaped).replace(re.escape(_SENTINEL),
                                                       "(?P<version>[^/]+)") + "$")
    found = set()
    root = Path(archive_root)
    for path in root.glob(glob):
        match = regex.match(path.relative_to(root).as_posix())
        if match and path.is_file() and VERSION_RE.match(match["version"]):
            found.add(match["version"])
    return sorted(found, key=natural_key)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in re.split(r"(\d+)", text) if part)


def expand(dates: Iterable[date], versions: Iterable[str]) -> Iterator[RunKey]:
    chosen = [check_version(v) for v in versions]
    for day in dates:
        for version in chosen:
            yield RunKey(day, version)


def parse_runs(runs: Iterable[dict[str, str] | RunKey]) -> list[RunKey]:
    """An explicit runs list (`[{run_date, version}, …]`), de-duplicated and sorted."""
    keys: set[RunKey] = set()
    for item in runs:
        if isinstance(item, RunKey):
            keys.add(item)
            continue
        if not isinstance(item, dict) or "run_date" not in item or "version" not in item:
            raise UsageError(f"run {item!r} is not of the form {{run_date, version}}",
                             hint='e.g. runs=[{"run_date": "2024-03-01", "version": "v1"}]')
        keys.add(RunKey(parse_date(item["run_date"], "run_date"),
                        check_version(str(item["version"]))))
    return sorted(keys)
