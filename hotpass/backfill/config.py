"""`--config FILE.toml` defaults for a backfill:

    [orchestrator.backfill]
    archive_pattern = "{date:%Y-%m-%d}/hotpass-inputs-{version}.zip"
    concurrency_limit = 2
    archive_root = "dist/archive"      # relative paths are relative to the TOML file
    restore_root = "dist/backfill"
    max_extract_bytes = 2147483648
    [pipeline]
    profile = "generic"

Flags given on the command line override these."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from hotpass.errors import UsageError

_KEYS: dict[str, type | tuple[type, ...]] = {
    "archive_pattern": str, "concurrency_limit": int, "archive_root": str, "restore_root": str,
    "max_extract_bytes": int}
_PATHS = ("archive_root", "restore_root")


def load_config(path: Path) -> dict[str, Any]:
    """The backfill settings in `path` (keys as above plus `profile`), paths made absolute."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}", hint="check --config") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML ({exc})", hint="fix the file") from None
    section = data.get("orchestrator", {}).get("backfill", {})
    settings: dict[str, Any] = {}
    for key, value in section.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise UsageError(f"{path}: unknown key [orchestrator.backfill] {key}",
                             hint=f"known keys: {', '.join(sorted(_KEYS))}")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise UsageError(f"{path}: [orchestrator.backfill] {key} must be "
                             f"{getattr(expected, '__name__', expected)}, got {value!r}")
        settings[key] = str((path.parent / str(value)).resolve()) if key in _PATHS else value
    profile = data.get("pipeline", {}).get("profile")
    if profile is not None:
        if not isinstance(profile, str):
            raise UsageError(f"{path}: [pipeline] profile must be a string, got {profile!r}")
        settings["profile"] = profile
    return settings


def merged_settings(config: Path | None, **flags: Any) -> dict[str, Any]:
    """Built-in defaults, then the TOML file's values, then every flag that was given (not None).

    Keys: archive_root, restore_root, archive_pattern, profile, concurrency_limit,
    max_extract_bytes."""
    from hotpass.backfill.extract import DEFAULT_MAX_BYTES
    from hotpass.backfill.plan import (
        DEFAULT_ARCHIVE_ROOT,
        DEFAULT_CONCURRENCY,
        DEFAULT_PROFILE,
        DEFAULT_RESTORE_ROOT,
    )
    from hotpass.backfill.window import DEFAULT_PATTERN

    settings: dict[str, Any] = {
        "archive_root": DEFAULT_ARCHIVE_ROOT, "restore_root": DEFAULT_RESTORE_ROOT,
        "archive_pattern": DEFAULT_PATTERN, "profile": DEFAULT_PROFILE,
        "concurrency_limit": DEFAULT_CONCURRENCY, "max_extract_bytes": DEFAULT_MAX_BYTES}
    if config is not None:
        settings.update(load_config(config))
    settings.update({k: v for k, v in flags.items() if v is not None})
    return settings
