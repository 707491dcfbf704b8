"""Keep personal data out of logs and error messages: file and folder names supplied by users
can themselves contain an email address or a phone number."""

from __future__ import annotations

import re
from pathlib import Path

_EMAIL = re.compile(r"[^\s@/\\]+@[^\s@/\\]+\.[^\s@/\\]+")
_PHONE = re.compile(r"\+?\d[\d ()\-.]{6,}\d")


def redact(text: str | Path) -> str:
    """`text` with anything shaped like an email address or phone number masked."""
    return _PHONE.sub("<number>", _EMAIL.sub("<email>", str(text)))
