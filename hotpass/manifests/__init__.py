"""Deployment manifests: load with positions, merge overlays, validate, → DeploymentSpec."""

from hotpass.manifests.manifest_set import ManifestSet, load_manifest_set
from hotpass.manifests.spec import MANAGED_TAG, DeploymentSpec, ScheduleSpec

__all__ = ["MANAGED_TAG", "DeploymentSpec", "ManifestSet", "ScheduleSpec", "load_manifest_set"]
