"""`SHA256SUMS` over a bundle, in the format `sha256sum -c` reads (sorted by path)."""

from __future__ import annotations

from pathlib import Path

from hotpass.fsutil import SUMS_NAME, atomic_write_text, parse_sums, sha256_file


def bundle_files(bundle_dir: Path) -> list[Path]:
    """Every regular file of the bundle except SHA256SUMS and temp files, sorted by path."""
    files = [p for p in bundle_dir.rglob("*")
             if p.is_file() and not p.is_symlink() and p.name != SUMS_NAME
             and not p.name.endswith(".tmp")]
    return sorted(files, key=lambda p: p.relative_to(bundle_dir).as_posix())


def write_checksums(bundle_dir: Path) -> Path:
    lines = [f"{sha256_file(p)}  {p.relative_to(bundle_dir).as_posix()}"
             for p in bundle_files(bundle_dir)]
    return atomic_write_text(bundle_dir / SUMS_NAME, "\n".join(lines) + "\n")


def verify_checksums(bundle_dir: Path) -> list[str]:
    """Problems found checking SHA256SUMS against the bundle (empty when it matches)."""
    sums = bundle_dir / SUMS_NAME
    if not sums.is_file():
        return [f"{sums}: missing"]
    problems: list[str] = []
    listed: set[str] = set()
    for name, digest in parse_sums(sums.read_text(encoding="utf-8")).items():
        listed.add(name)
        path = bundle_dir / name
        if not path.is_file():
            problems.append(f"{name}: listed but missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: checksum differs")
    for path in bundle_files(bundle_dir):
        rel = path.relative_to(bundle_dir).as_posix()
        if rel not in listed:
            problems.append(f"{rel}: not listed in {SUMS_NAME}")
    return problems
