"""File helpers shared by every area: atomic writes (temp file in the same directory, then
os.replace, so a reader never sees half a file), one JSON file format, SHA-256 of a file or
stream, and the one SHA256SUMS format (archives and bundles)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_CHUNK = 1 << 20
SUMS_NAME = "SHA256SUMS"


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


def atomic_write_with(path: Path | str, write: Callable[[Path], object]) -> Path:
    """Have `write` fill a temp file beside `path` (for writers that take a file name), then
    rename it over `path`; on any failure the temp file is removed and `path` is untouched."""
    target = Path(path)
    tmp = temp_path_beside(target)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    with open(path, "rb") as handle:
        return sha256_stream(handle)


def sha256_stream(handle: IO[bytes]) -> str:
    """Hex SHA-256 of everything left in a binary stream (a file, a zip member), in chunks."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def parse_sums(text: str) -> dict[str, str]:
    """Name → lower-case hex digest from SHA256SUMS text as `sha256sum` writes it: lines of
    `<digest>  <name>` (text mode) or `<digest> *<name>` (binary mode). Blank lines and lines
    without a name are skipped."""
    sums: dict[str, str] = {}
    for line in text.splitlines():
        digest, _, rest = line.strip().partition(" ")
        name = rest[1:] if rest[:1] in (" ", "*") else rest
        if digest and name:
            sums[name] = digest.lower()
    return sums
