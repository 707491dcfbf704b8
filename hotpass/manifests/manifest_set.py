"""Load a manifest set: the top-level YAML files of one directory, all problems reported at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hotpass.errors import ManifestError, UsageError
from hotpass.manifests.check import flow_problems, schedule_problems
from hotpass.manifests.load import ManifestReadError, RawManifest, read_manifest
from hotpass.manifests.overlay import OverlayError, resolve_overlay
from hotpass.manifests.problems import Problem
from hotpass.manifests.spec import DEFAULT_INTERVAL_ANCHOR, DeploymentSpec, ScheduleSpec

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ManifestSet:
    directory: Path
    specs: tuple[DeploymentSpec, ...]

    @property
    def ids(self) -> list[str]:
        return [spec.id for spec in self.specs]

    def select(self, ids: Sequence[str]) -> list[DeploymentSpec]:
        """The specs with these ids (all when `ids` is empty); an unknown id is a usage error."""
        if not ids:
            return list(self.specs)
        unknown = [i for i in ids if i not in self.ids]
        if unknown:
            raise UsageError(f"unknown deployment id(s): {', '.join(unknown)} "
                             f"(known ids in {self.directory}: {', '.join(self.ids)})",
                             hint="pass --flow with one of the known ids")
        return [spec for spec in self.specs if spec.id in ids]


def manifest_files(directory: Path) -> list[Path]:
    """The top-level manifest files of a set; sub-folders are overlays, never loaded implicitly."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in MANIFEST_SUFFIXES)


def load_manifest_set(directory: Path, *, check_flows: bool = True) -> ManifestSet:
    """Read, merge and validate every manifest of `directory`; raise ManifestError with all
    problems of the set (each with file, line and column) when anything is wrong."""
    if not directory.is_dir():
        raise UsageError(f"manifest directory {directory} does not exist",
                         hint="pass --manifest-dir with a folder of deployment manifests")
    files = manifest_files(directory)
    if not files:
        raise UsageError(f"no manifests (*.yaml) in {directory}")
    root = default_tree_root(directory)
    problems: list[Problem] = []
    merged: list[RawManifest] = []
    for path in files:
        manifest, found = validate_manifest(path, root, check_flows=check_flows)
        problems += found
        if manifest is not None:
            merged.append(manifest)
    problems += _duplicate_ids(merged)
    if problems:
        raise ManifestError([str(p) for p in sorted(problems)])
    return ManifestSet(directory=directory, specs=tuple(to_spec(m) for m in merged))


def default_tree_root(directory: Path) -> Path:
    """The nearest enclosing folder named `prefect` (overlays may not leave it), else itself."""
    resolved = directory.resolve()
    return next((p for p in (resolved, *resolved.parents) if p.name == "prefect"), resolved)


def validate_manifest(path: Path, tree_root: Path, *,
                      check_flows: bool = True) -> tuple[RawManifest | None, list[Problem]]:
    """One file: read, merge overlays, schema, then flow and schedule checks."""
    from hotpass.manifests.schema import schema_problems  # jsonschema: only when validating

    try:
        manifest = resolve_overlay(read_manifest(path), tree_root)
    except (ManifestReadError, OverlayError) as exc:
        return None, [exc.problem]
    problems = schema_problems(manifest)
    broken = {p.field.split(".")[0].split("[")[0] for p in problems}
    if not broken & {"schedule"}:
        problems += schedule_problems(manifest)
    if check_flows and not broken & {"flow", "parameters"}:
        problems += flow_problems(manifest)
    return manifest, problems


def _duplicate_ids(manifests: list[RawManifest]) -> list[Problem]:
    first_seen: dict[str, RawManifest] = {}
    problems = []
    for manifest in manifests:
        spec_id = manifest.data.get("id")
        if not isinstance(spec_id, str):
            continue
        if spec_id in first_seen:
            other = first_seen[spec_id].locate(("id",))
            problems.append(Problem(manifest.locate(("id",)), "id",
                                    f"duplicate id '{spec_id}' (also in {other.file.name}:"
                                    f"{other.line}; expected ids unique in the set)"))
        else:
            first_seen[spec_id] = manifest
    return problems


def to_spec(manifest: RawManifest) -> DeploymentSpec:
    data = manifest.data
    schedule = data.get("schedule")
    return DeploymentSpec(
        id=data["id"], name=data["name"], flow=data["flow"], source=manifest.path,
        description=data.get("description"), tags=tuple(data.get("tags") or ()),
        schedule=to_schedule(schedule) if schedule else None,
        parameters=dict(data.get("parameters") or {}),
        work_pool=data.get("work_pool"), work_queue=data.get("work_queue"),
        concurrency_limit=data.get("concurrency_limit"),
        job_variables=dict(data.get("job_variables") or {}),
        enforce_parameter_schema=data.get("enforce_parameter_schema", True),
        image=data.get("image"),
    )


def to_schedule(schedule: dict[str, object]) -> ScheduleSpec:
    kind = str(schedule["kind"])
    anchor = schedule.get("anchor_date")
    return ScheduleSpec(
        kind=kind, value=schedule["value"],  # type: ignore[arg-type]  # schema-checked
        timezone=str(schedule["timezone"]) if schedule.get("timezone") else None,
        anchor_date=str(anchor) if anchor else (DEFAULT_INTERVAL_ANCHOR if kind == "interval"
                                                else None),
        active=bool(schedule.get("active", True)),
    )
