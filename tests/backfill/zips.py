"""Builders of archives for the backfill tests, good and malicious."""

from __future__ import annotations

import hashlib
import stat
import zipfile
from pathlib import Path

CSV = "organization_name,contact_email\nAcme Air,ops@acme.example\n"


def good_zip(path: Path, files: dict[str, str] | None = None) -> Path:
    files = files or {"contacts.csv": CSV}
    path.parent.mkdir(parents=True, exist_ok=True)
    sums = "".join(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}\n"
                   for name, text in files.items())
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
        bundle.writestr("SHA256SUMS", sums)
    return path


def zip_with_entry(path: Path, name: str, data: bytes = b"x", mode: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("ok.csv", CSV)
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.external_attr = mode << 16
        bundle.writestr(info, data)
    return path


def symlink_zip(path: Path, target: str = "/etc/passwd") -> Path:
    return zip_with_entry(path, "link.csv", target.encode(), mode=stat.S_IFLNK | 0o777)
