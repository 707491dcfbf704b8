from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hotpass.fsutil import parse_sums
from hotpass.refine.archive import archive_inputs


def test_archive_holds_inputs_and_sha256sums_and_versions(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    files = [src / "a.csv", src / "sub" / "b.csv"]
    for i, f in enumerate(files):
        f.write_text(f"Organisation\nOrg {i}\n")
    root = tmp_path / "archive"
    first = archive_inputs(files, root, date(2026, 1, 31), base_dir=src)
    second = archive_inputs(files, root, date(2026, 1, 31), base_dir=src)
    assert first == root / "2026-01-31" / "hotpass-inputs-v1.zip"
    assert second == root / "2026-01-31" / "hotpass-inputs-v2.zip"
    with zipfile.ZipFile(first) as bundle:
        assert sorted(bundle.namelist()) == ["SHA256SUMS", "a.csv", "sub/b.csv"]
        sums = bundle.read("SHA256SUMS").decode()
        for name in ("a.csv", "sub/b.csv"):
            digest = hashlib.sha256(bundle.read(name)).hexdigest()
            assert f"{digest}  {name}\n" in sums
    assert not [p for p in (root / "2026-01-31").iterdir() if p.name.startswith(".")]


def test_refine_archive_flag_bundles_every_input(inputs: Path, run_refine: Any,
                                                 tmp_path: Path) -> None:
    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\n")
    first = run_refine(inputs, archive=True).result
    second = run_refine(inputs, archive=True).result
    assert first.archive_path is not None and first.archive_path.name == "hotpass-inputs-v1.zip"
    assert second.archive_path is not None and second.archive_path.name == "hotpass-inputs-v2.zip"
    with zipfile.ZipFile(first.archive_path) as bundle:
        assert sorted(bundle.namelist()) == ["SHA256SUMS", "orgs.csv"]


def test_refine_archive_reuses_the_digests_ingest_computed(
        inputs: Path, run_refine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import hotpass.refine.archive

    def no_rehash(path: Path) -> str:
        raise AssertionError(f"{path} hashed again for the archive")

    (inputs / "orgs.csv").write_text("Organisation,Email\nAcme,a@example.com\n")
    monkeypatch.setattr(hotpass.refine.archive, "sha256_file", no_rehash)
    result = run_refine(inputs, archive=True).result
    assert result.archive_path is not None
    with zipfile.ZipFile(result.archive_path) as bundle:
        sums = parse_sums(bundle.read("SHA256SUMS").decode())
        for name, digest in sums.items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
    assert sums == {i["path"]: i["sha256"] for i in result.inputs}
