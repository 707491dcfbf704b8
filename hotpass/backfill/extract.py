"""Safe extraction of one archived input bundle into `<restore-root>/<date>--<version>/`.

Every entry is checked before anything is written: absolute paths, `..`, links and other
non-regular entries, and a total uncompressed size over the limit are refused. Extraction goes to
a temp folder beside the target and is renamed into place, so a refused or broken archive leaves
nothing behind, and nothing is ever written outside the target."""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from hotpass.errors import ArchiveError
from hotpass.fsutil import SUMS_NAME as CHECKSUMS
from hotpass.fsutil import parse_sums, sha256_file

DEFAULT_MAX_BYTES = 2 * 1024**3
_CHUNK = 1 << 20


def safe_extract(archive: Path, target: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Path]:
    """Extract `archive` into `target` (replacing it); returns the extracted files."""
    if not archive.is_file():
        raise ArchiveError(f"archive not found: {archive}",
                           hint="check --archive-root and --archive-pattern, or stage the day "
                           "with `invoke backfill.stage`")
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = _checked_members(bundle, archive, max_bytes)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=_parent(target)))
            try:
                _write_members(bundle, members, staging, archive, max_bytes)
                _verify_checksums(staging, archive)
                _replace_dir(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"archive {archive} is not a readable zip file ({exc})",
                           hint="re-stage the day from its source folder") from None
    return sorted(p for p in target.rglob("*") if p.is_file())


def _parent(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent


def _checked_members(bundle: zipfile.ZipFile, archive: Path,
                     max_bytes: int) -> list[zipfile.ZipInfo]:
    members, total = [], 0
    for info in bundle.infolist():
        reason = unsafe_reason(info)
        if reason:
            raise ArchiveError(f"archive {archive} refused: entry {info.filename!r} {reason}",
                               hint="rebuild the archive with `invoke backfill.stage`; "
                               "nothing was extracted")
        total += info.file_size
        if total > max_bytes:
            raise ArchiveError(f"archive {archive} refused: its entries total more than "
                               f"{max_bytes} bytes uncompressed",
                               hint="raise the extraction limit only if the archive is trusted")
        if not info.is_dir():
            members.append(info)
    return members


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why an entry may not be extracted, or None when it is a plain relative file or folder."""
    name = info.filename
    if not name or "\x00" in name:
        return "has an empty or invalid name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "contains '..'"
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool recorded no file type
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file"
    return None


def _write_members(bundle: zipfile.ZipFile, members: list[zipfile.ZipInfo], staging: Path,
                   archive: Path, max_bytes: int) -> None:
    written = 0
    root = staging.resolve()
    for info in members:
        destination = (staging / info.filename.replace("\\", "/")).resolve()
        if not destination.is_relative_to(root):
            raise ArchiveError(f"archive {archive} refused: entry {info.filename!r} resolves "
                               "outside the restore folder")
        destination.parent.mkdir(parents=True, exist_ok=True)
        with bundle.open(info) as source, open(destination, "xb") as sink:
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                written += len(chunk)
                if written > max_bytes:  # the header's sizes can lie; count what is written
                    raise ArchiveError(f"archive {archive} refused: more than {max_bytes} bytes "
                                       "uncompressed")
                sink.write(chunk)


def _verify_checksums(staging: Path, archive: Path) -> None:
    listing = staging / CHECKSUMS
    if not listing.is_file():
        return
    for name, expected in parse_sums(listing.read_text(encoding="utf-8")).items():
        path = (staging / name).resolve()
        if not path.is_relative_to(staging.resolve()) or not path.is_file():
            raise ArchiveError(f"archive {archive}: {CHECKSUMS} lists {name!r}, which is not in "
                               "the archive", hint="re-stage the day from its source folder")
        if sha256_file(path) != expected:
            raise ArchiveError(f"archive {archive}: {name!r} does not match its {CHECKSUMS} entry",
                               hint="the archive is corrupt or was edited; re-stage it")


def _replace_dir(staging: Path, target: Path) -> None:
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    staging.rename(target)
