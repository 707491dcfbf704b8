"""Rendering shared by the command adapters: one JSON document on stdout for `--json`,
human text otherwise. Logs and errors go to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def emit(as_json: bool, document: Any, text: str) -> None:
    """Print `document` as JSON when asked, otherwise the human `text`."""
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    elif text:
        sys.stdout.write(text.rstrip("\n") + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table (stable in logs and CI output, unlike a box-drawn one)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
