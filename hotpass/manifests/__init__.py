"""Deployment manifests: load with positions, merge overlays, validate, → DeploymentSpec.

The set loader (and with it YAML and JSON Schema) is imported on first use, so a command that
only needs the spec types (an unchanged `hotpass deploy` from its cache) does not pay for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotpass.manifests.spec import MANAGED_TAG, DeploymentSpec, ScheduleSpec

if TYPE_CHECKING:
    from hotpass.manifests.manifest_set import ManifestSet, load_manifest_set

__all__ = ["MANAGED_TAG", "DeploymentSpec", "ManifestSet", "ScheduleSpec", "load_manifest_set"]


def __getattr__(name: str) -> Any:
    if name in ("ManifestSet", "load_manifest_set"):
        from hotpass.manifests import manifest_set

        return getattr(manifest_set, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
