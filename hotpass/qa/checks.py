"""The `manifests`, `profiles` and `archives` suites. A check that cannot run (a folder or file
missing, an import failing) is a `fail` with the reason, never a silent pass."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from hotpass.errors import HotpassError, ManifestError
from hotpass.fsutil import SUMS_NAME, parse_sums, sha256_file, sha256_stream
from hotpass.qa.report import FAIL, PASS, WARN, CheckResult

REQUIRED_FLAGS = ("incremental", "backfill")
ARCHIVE_GLOB = "*/hotpass-inputs-*.zip"


def manifest_sets(root: Path) -> list[Path]:
    """The set at `root` and every direct sub-folder holding manifests (the overlays)."""
    if not root.is_dir():
        return [root]
    subsets = sorted(p for p in root.iterdir() if p.is_dir() and
                     any(q.suffix in (".yaml", ".yml") for q in p.iterdir()))
    return [root, *subsets]


def check_manifests(root: Path) -> list[CheckResult]:
    results: list[CheckResult] = []
    for directory in manifest_sets(root):
        label = "base" if directory == root else directory.name
        results.extend(_check_manifest_set(directory, label))
    return results


def _check_manifest_set(directory: Path, label: str) -> list[CheckResult]:
    from hotpass.manifests import load_manifest_set

    prefix = f"manifests.{label}"
    try:
        manifest_set = load_manifest_set(directory)
    except ManifestError as exc:
        return [CheckResult(f"{prefix}.valid", FAIL,
                            f"{len(exc.problems)} problem(s) in {directory.as_posix()}",
                            {"directory": directory.as_posix(), "problems": exc.problems})]
    except HotpassError as exc:
        return [CheckResult(f"{prefix}.valid", FAIL, exc.message,
                            {"directory": directory.as_posix()})]
    ids = manifest_set.ids
    valid = CheckResult(f"{prefix}.valid", PASS,
                        f"{len(ids)} manifest(s) valid in {directory.as_posix()}",
                        {"directory": directory.as_posix(), "ids": ids})
    return [valid, _flags_check(prefix, manifest_set.specs)]


def _flags_check(prefix: str, specs: Any) -> CheckResult:
    missing = {spec.id: [f for f in REQUIRED_FLAGS
                         if not isinstance(spec.parameters.get(f), bool)]
               for spec in specs}
    missing = {k: v for k, v in missing.items() if v}
    evidence: dict[str, Any] = {
        "required": list(REQUIRED_FLAGS),
        "values": {s.id: {f: s.parameters.get(f) for f in REQUIRED_FLAGS} for s in specs}}
    if missing:
        listed = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(missing.items()))
        return CheckResult(f"{prefix}.flags", FAIL,
                           f"parameters must state incremental and backfill as true/false "
                           f"(missing or not boolean: {listed})", {**evidence, "missing": missing})
    return CheckResult(f"{prefix}.flags", PASS,
                       "every manifest states incremental and backfill explicitly", evidence)


def check_profiles(names: list[str] | None) -> list[CheckResult]:
    from hotpass.refine.profile import builtin_profiles, load_profile

    results = []
    for name in names or builtin_profiles():
        check_id = f"profiles.{Path(name).stem}"
        try:
            profile = load_profile(name)
        except HotpassError as exc:
            results.append(CheckResult(check_id, FAIL, exc.message, {"profile": name}))
            continue
        results.append(CheckResult(check_id, PASS, f"profile {profile.name} is valid", {
            "profile": name, "fields": len(profile.fields), "required": list(profile.required),
            "expectations": [e.name for e in profile.expectations]}))
    return results


def check_archives(root: Path, *, explicit: bool) -> list[CheckResult]:
    archives = sorted(root.glob(ARCHIVE_GLOB)) if root.is_dir() else []
    if not archives:
        status = FAIL if explicit else WARN
        return [CheckResult("archives.present", status,
                            f"no input archives under {root.as_posix()} "
                            "(create them with `hotpass refine --archive`)",
                            {"archive_root": root.as_posix(), "archives": 0})]
    return [_check_archive(path, root) for path in archives]


def _check_archive(path: Path, root: Path) -> CheckResult:
    rel = path.relative_to(root).as_posix()
    check_id = f"archives.{path.parent.name}.{path.stem.removeprefix('hotpass-inputs-')}"
    evidence: dict[str, Any] = {"archive": rel, "sha256": sha256_file(path)}
    try:
        with zipfile.ZipFile(path) as archive:
            problems, files = _archive_problems(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        return CheckResult(check_id, FAIL, f"{rel}: not a readable zip ({exc})", evidence)
    evidence["files"] = files
    if problems:
        return CheckResult(check_id, FAIL, f"{rel}: {'; '.join(problems)}",
                           {**evidence, "problems": problems})
    return CheckResult(check_id, PASS, f"{rel}: {files} file(s) match its SHA256SUMS", evidence)


def _archive_problems(archive: zipfile.ZipFile) -> tuple[list[str], int]:
    problems = []
    members = {i.filename: i for i in archive.infolist() if not i.is_dir()}
    for name, info in members.items():
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or (info.external_attr >> 16) & 0o170000 \
                == 0o120000:
            problems.append(f"unsafe entry {name!r}")
    if SUMS_NAME not in members:
        return [*problems, f"no {SUMS_NAME} inside"], len(members)
    listed = parse_sums(archive.read(SUMS_NAME).decode("utf-8"))
    for name, digest in sorted(listed.items()):
        if name not in members:
            problems.append(f"{name} listed in {SUMS_NAME} but missing")
        elif _member_sha256(archive, members[name]) != digest:
            problems.append(f"{name} does not match its checksum")
    unlisted = sorted(set(members) - set(listed) - {SUMS_NAME})
    problems.extend(f"{name} not listed in {SUMS_NAME}" for name in unlisted)
    return problems, len(members) - 1


def _member_sha256(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """A member's digest, streamed in chunks (a large input is never held in memory)."""
    with archive.open(info) as member:
        return sha256_stream(member)
