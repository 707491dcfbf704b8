"""`extends:` overlays: a file deep-merged over the base it names (design §3).

Mappings merge, lists and scalars replace, `null` removes. Positions follow the merge, so an
error in a field an overlay set points at the overlay and one it inherited points at the base.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hotpass.manifests.load import ManifestReadError, RawManifest, read_manifest
from hotpass.manifests.problems import FieldPath, Location, Problem


class OverlayError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def resolve_overlay(manifest: RawManifest, tree_root: Path) -> RawManifest:
    """Follow `extends` (transitively) and return the merged manifest."""
    return _resolve(manifest, tree_root.resolve(), chain=(manifest.path.resolve(),))


def _extends_problem(manifest: RawManifest, target: object, tree_root: Path,
                     chain: tuple[Path, ...]) -> str | None:
    """What is wrong with the manifest's `extends: target`, or None."""
    if not isinstance(target, str) or not target.strip():
        return "expected a relative path to a base manifest"
    base_path = (manifest.path.parent / target).resolve()
    if Path(target).is_absolute() or not base_path.is_relative_to(tree_root):
        return f"'{target}' leaves the manifest tree {tree_root} (expected a path inside it)"
    if base_path in chain:
        return "extends cycle: " + " -> ".join(p.name for p in (*chain, base_path))
    if not base_path.is_file():
        return f"base manifest '{target}' does not exist"
    return None


def _resolve(manifest: RawManifest, tree_root: Path, chain: tuple[Path, ...]) -> RawManifest:
    target = manifest.data.get("extends")
    if target is None:
        return manifest
    problem = _extends_problem(manifest, target, tree_root, chain)
    if problem is not None:  # located only now: finding lines costs a round-trip parse
        raise OverlayError(Problem(manifest.locate(("extends",)), "extends", problem))
    base_path = (manifest.path.parent / target).resolve()
    try:
        base = read_manifest(base_path)
    except ManifestReadError as exc:
        raise OverlayError(exc.problem) from exc
    merged_base = _resolve(base, tree_root, (*chain, base_path))
    return _merge(merged_base, manifest)


def _merge(base: RawManifest, overlay: RawManifest) -> RawManifest:
    data = deep_merge(base.data, {k: v for k, v in overlay.data.items() if k != "extends"})

    def merged_positions() -> dict[FieldPath, Location]:
        positions: dict[FieldPath, Location] = {}
        for source in (base, overlay):
            positions.update({p: loc for p, loc in source.positions.items()
                              if p[:1] != ("extends",)})
        positions[()] = Location(overlay.path, 1, 1)
        return positions

    return RawManifest(path=overlay.path, data=data, find_positions=merged_positions)


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge recursively, lists and scalars replace, `None` removes the key."""
    merged = dict(base)
    for key, value in overlay.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
