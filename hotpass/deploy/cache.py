"""A local cache of the desired state `hotpass deploy` builds, so an unchanged re-apply needs
neither validation nor Prefect.

Building and validating a set imports Prefect and every flow (about 1 s of a 1.5 s unchanged
re-apply). What it produces depends only on its inputs, so it is cached under a key of all of
them: every manifest of the set as resolved (overlays merged; its file name too), the selection
and overrides (`--flow`, `--name`, `--schedule`, `--work-pool`), the source of each flow's
top-level package and of hotpass itself, the manifest schema, the installed distributions
(Prefect's version by name), and the Python version. Any change gives another key: a miss,
and the full path validates and builds as before. A file that does not parse cleanly is never
keyed (the full path reports it, with its line and column).

One slot file per manifest directory and selection, under `.hotpass/cache/` (git-ignored;
`make clean` or deleting the folder clears it; `hotpass deploy --no-cache` bypasses it). An
unreadable, corrupt or foreign file is a miss. Stored only after a successful build, and only
if the inputs still hash to the key computed before validation began.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotpass.fsutil import atomic_write_json, sha256_file
from hotpass.paths import DEFAULT_HOME, schema_path

if TYPE_CHECKING:
    from hotpass.deploy.plan import Desired

CACHE_FORMAT = 1
DEFAULT_CACHE_DIR = DEFAULT_HOME / "cache"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedDeployment:
    """What the unchanged check needs of one built deployment."""

    id: str
    deployment: str  # flow-name/deployment-name
    work_pool: str | None
    state: dict[str, Any]  # the compared fields, normalised (Desired.state)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "deployment": self.deployment, "work_pool": self.work_pool,
                "state": self.state}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CachedDeployment:
        """Raise TypeError unless `data` has exactly the stored shape."""
        item = cls(data["id"], data["deployment"], data["work_pool"], data["state"])
        if not (isinstance(item.id, str) and isinstance(item.deployment, str)
                and isinstance(item.work_pool, str | None) and isinstance(item.state, dict)):
            raise TypeError("not a cached deployment")
        return item


@dataclass(frozen=True)
class DesiredCache:
    """The slot of one manifest directory and selection, with the key of its inputs now."""

    directory: Path
    selection: dict[str, Any]
    path: Path
    key: str

    def load(self) -> tuple[CachedDeployment, ...] | None:
        """The cached deployments for this key; None on a miss or an unusable file."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            if document.get("format") != CACHE_FORMAT or document.get("key") != self.key:
                return None
            return tuple(CachedDeployment.from_json(d) for d in document["deployments"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def store(self, desired: list[Desired]) -> None:
        """Record `desired` if the inputs are still those the key was computed from (a file
        edited during the build must not be recorded under its old content). Best effort."""
        if inputs_key(self.directory, self.selection) != self.key:
            return
        rows = [CachedDeployment(d.spec.id, d.full_name, d.spec.work_pool, d.state).to_json()
                for d in desired]
        try:
            atomic_write_json(self.path, {"format": CACHE_FORMAT, "key": self.key,
                                          "deployments": rows})
        except OSError as exc:  # a read-only tree only loses the speed-up
            _log.debug("deploy cache not written: %s", exc)


def open_cache(directory: Path, selection: dict[str, Any]) -> DesiredCache | None:
    """The cache slot for this set and selection (under DEFAULT_CACHE_DIR), or None when the
    inputs cannot be keyed."""
    key = inputs_key(directory, selection)
    if key is None:
        return None
    slot = _digest(json.dumps([str(directory.resolve()), selection], sort_keys=True))[:16]
    return DesiredCache(directory, selection, DEFAULT_CACHE_DIR / f"deploy-{slot}.json", key)


def inputs_key(directory: Path, selection: dict[str, Any]) -> str | None:
    """A digest of everything the built desired state depends on (module docstring)."""
    manifests = resolved_manifests(directory)
    if manifests is None:
        return None
    flows = (m.get("flow") for m in manifests.values())
    packages = {"hotpass", *(f.partition(":")[0].split(".")[0] for f in flows
                             if isinstance(f, str))}
    sources = {name: source_digest(name) for name in sorted(packages)}
    if None in sources.values():
        return None
    return _digest(json.dumps({
        "format": CACHE_FORMAT, "manifests": manifests, "selection": selection,
        "sources": sources, "schema": sha256_file(schema_path("deployment-manifest")),
        "environment": environment()}, sort_keys=True, default=_typed))


def resolved_manifests(directory: Path) -> dict[str, Any] | None:
    """Each top-level manifest's merged data by file name; None if any file does not read or
    resolve cleanly (the full path then reports it)."""
    from hotpass.manifests.load import ManifestReadError, read_manifest
    from hotpass.manifests.manifest_set import default_tree_root, manifest_files
    from hotpass.manifests.overlay import OverlayError, resolve_overlay

    try:
        root = default_tree_root(directory)
        return {path.name: resolve_overlay(read_manifest(path), root).data
                for path in manifest_files(directory)}
    except (OSError, ManifestReadError, OverlayError):
        return None


def source_digest(module: str) -> str | None:
    """A digest of a top-level module's Python source (every .py file of a package), found as
    an import would find it but without importing it; None when there is no source to read."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        roots = [Path(p) for p in spec.submodule_search_locations]
        files = [(root, f) for root in roots for f in sorted(root.rglob("*.py"))]
    elif spec.origin and spec.origin.endswith(".py"):
        files = [(Path(spec.origin).parent, Path(spec.origin))]
    else:
        return None
    digest = hashlib.sha256()
    for root, path in files:
        digest.update(f"{root}\0{path.relative_to(root)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def environment() -> dict[str, Any]:
    """The interpreter and what is installed: Prefect's version, and every distribution's
    name-version folder on sys.path (an upgraded pydantic may generate other schemas)."""
    return {"python": sys.version, "executable": sys.executable,
            "prefect": prefect_version(), "distributions": _distributions()}


def prefect_version() -> str | None:
    """The installed Prefect's version, from its metadata (without importing Prefect)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("prefect")
    except PackageNotFoundError:
        return None


def _distributions() -> list[str]:
    found: list[str] = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found += [f"{entry}/{n}" for n in names if n.endswith((".dist-info", ".egg-info"))]
    return sorted(found)


def _typed(value: Any) -> str:
    """YAML values JSON cannot hold (dates, timestamps): their type and repr."""
    return f"{type(value).__name__}:{value!r}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
