"""File helpers shared by every area: atomic writes (temp file in the same directory, then
os.replace, so a reader never sees half a file), one JSON file format, and SHA-256 of a file."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


# mkstemp creates files 0600; outputs are meant to be read by others (CI artefacts, auditors).
DEFAULT_MODE = 0o644


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int = DEFAULT_MODE) -> Path:
    """Write `data` to `path` atomically with permission `mode` (set before the rename, so a
    secret file is never readable by others), creating parent folders; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8", *,
                      mode: int = DEFAULT_MODE) -> Path:
    """Write `text` to `path` atomically (see `atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode(encoding), mode=mode)


def json_text(document: Any) -> str:
    """The one JSON file format: sorted keys, two-space indent, UTF-8 as is, a final newline, so
    rewriting the same document gives the same bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def atomic_write_json(path: Path | str, document: Any, *, mode: int = DEFAULT_MODE) -> Path:
    """Write `document` as `json_text` atomically (see `atomic_write_bytes`)."""
    return atomic_write_text(path, json_text(document), mode=mode)


def temp_path_beside(path: Path | str) -> Path:
    """A fresh, unused temp file name in the same directory as `path` (for writers that need a
    file name rather than bytes); rename it over `path` with `os.replace` when complete."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                                    dir=target.parent)
    os.close(fd)
    os.chmod(tmp_name, DEFAULT_MODE)
    return Path(tmp_name)


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
