"""A problem found in a manifest, located by file, line and column (1-based)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Location:
    file: Path
    line: int = 1
    col: int = 1


@dataclass(frozen=True, order=True)
class Problem:
    location: Location
    field: str
    message: str

    def __str__(self) -> str:
        loc = self.location
        where = f"{display_path(loc.file)}:{loc.line}:{loc.col}"
        return f"{where}: {self.field}: {self.message}" if self.field else (
            f"{where}: {self.message}")


def field_name(path: FieldPath) -> str:
    """`('schedule', 'value')` → `schedule.value`; list indexes as `tags[0]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it (shorter, clickable)."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
