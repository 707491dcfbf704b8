import zipfile
from pathlib import Path

import pytest

from hotpass.backfill.extract import safe_extract
from hotpass.errors import ArchiveError
from tests.backfill.zips import CSV, good_zip, symlink_zip, zip_with_entry


def _everything(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_good_archive_is_extracted_and_checksums_verified(tmp_path: Path) -> None:
    archive = good_zip(tmp_path / "a.zip", {"contacts.csv": CSV, "sub/more.csv": CSV})
    target = tmp_path / "restore" / "2024-03-01--v1"
    files = safe_extract(archive, target)
    assert [f.relative_to(target).as_posix() for f in files] == [
        "SHA256SUMS", "contacts.csv", "sub/more.csv"]
    assert (target / "contacts.csv").read_text() == CSV


def test_re_extraction_replaces_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "restore" / "d--v1"
    target.mkdir(parents=True)
    (target / "stale.csv").write_text("old")
    safe_extract(good_zip(tmp_path / "a.zip"), target)
    assert not (target / "stale.csv").exists()


@pytest.mark.parametrize(("entry", "reason"), [
    ("/tmp/evil.csv", "absolute path"),
    ("../evil.csv", "'..'"),
    ("sub/../../evil.csv", "'..'"),
    ("..\\evil.csv", "'..'"),
    ("C:/evil.csv", "absolute path"),
])
def test_unsafe_paths_are_refused_and_nothing_is_written(tmp_path: Path, entry: str,
                                                         reason: str) -> None:
    archive = zip_with_entry(tmp_path / "in" / "bad.zip", entry)
    restore_root = tmp_path / "restore"
    restore_root.mkdir()
    with pytest.raises(ArchiveError, match=reason):
        safe_extract(archive, restore_root / "2024-03-01--v1")
    assert _everything(restore_root) == set()
    assert _everything(tmp_path) == {"in", "in/bad.zip", "restore"}


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    archive = symlink_zip(tmp_path / "bad.zip")
    with pytest.raises(ArchiveError, match="symbolic link"):
        safe_extract(archive, tmp_path / "restore" / "d--v1")
    assert not (tmp_path / "restore" / "d--v1").exists()


def test_oversize_total_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("a.csv", "x" * 600)
        bundle.writestr("b.csv", "x" * 600)
    with pytest.raises(ArchiveError, match="more than 1000 bytes"):
        safe_extract(archive, tmp_path / "restore" / "d--v1", max_bytes=1000)
    assert _everything(tmp_path / "restore") == set()
    safe_extract(archive, tmp_path / "restore" / "d--v1", max_bytes=1200)


def test_lying_size_header_is_caught_while_writing(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("a.csv", "x" * 5000)
    raw = bytearray(archive.read_bytes())
    # shrink the declared uncompressed size in the central directory to 10 bytes
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError):
        safe_extract(archive, tmp_path / "restore" / "d--v1", max_bytes=1000)
    assert _everything(tmp_path / "restore") == set()


def test_missing_and_corrupt_archives_are_archive_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="not found"):
        safe_extract(tmp_path / "nope.zip", tmp_path / "restore" / "x")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        safe_extract(tmp_path / "junk.zip", tmp_path / "restore" / "x")


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("contacts.csv", CSV)
        bundle.writestr("SHA256SUMS", f"{'0' * 64}  contacts.csv\n")
    with pytest.raises(ArchiveError, match="does not match"):
        safe_extract(archive, tmp_path / "restore" / "x")
    assert _everything(tmp_path / "restore") == set()
