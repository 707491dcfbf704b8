"""Bundle the inputs a run read so a backfill can replay that day exactly (design §6):
`<archive_root>/<YYYY-MM-DD>/hotpass-inputs-v<N>.zip` with a SHA256SUMS member inside."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from hotpass.errors import ArchiveError
from hotpass.fsutil import SUMS_NAME, sha256_file, temp_path_beside


def next_version_path(archive_root: Path, run_date: date) -> Path:
    folder = archive_root / run_date.isoformat()
    version = 1
    while (folder / f"hotpass-inputs-v{version}.zip").exists():
        version += 1
    return folder / f"hotpass-inputs-v{version}.zip"


def archive_inputs(files: Sequence[Path], archive_root: Path, run_date: date, *,
                   base_dir: Path | None = None, digests: Sequence[str] | None = None) -> Path:
    """Zip `files` (named relative to `base_dir`, else by file name) into the next free version
    for `run_date`; the zip holds SHA256SUMS (`<sha256>  <name>` lines). `digests`, one per file
    in order, are the SHA-256s already known (a refine hashed every input when it read it);
    without them each file is hashed here. Returns the zip path."""
    names = [_member_name(f, base_dir) for f in files]
    if len(set(names)) != len(names):
        raise ArchiveError("two inputs would have the same name in the archive",
                           hint="pass base_dir so members keep their relative folders")
    if digests is not None and len(digests) != len(files):
        raise ValueError(f"{len(digests)} digests for {len(files)} files")
    known = list(digests) if digests is not None else [None] * len(files)
    target = next_version_path(archive_root, run_date)
    tmp = temp_path_beside(target)
    sums = io.StringIO()
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for path, name, digest in zip(files, names, known, strict=True):
                bundle.write(path, name)
                sums.write(f"{digest or sha256_file(path)}  {name}\n")
            bundle.writestr(SUMS_NAME, sums.getvalue())
        _claim(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _claim(tmp: Path, target: Path) -> None:
    """Move the finished zip to the first free version name; never replace an existing one
    (os.link fails if the name exists, so two runs at once cannot take the same version)."""
    while True:
        try:
            os.link(tmp, target)
        except FileExistsError:
            target = next_version_path(target.parent.parent, date.fromisoformat(
                target.parent.name))
            continue
        tmp.unlink()
        return


def _member_name(path: Path, base_dir: Path | None) -> str:
    if base_dir is not None:
        try:
            return path.resolve().relative_to(base_dir.resolve()).as_posix()
        except ValueError:
            pass
    return path.name
