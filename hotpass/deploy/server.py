"""The server path of `hotpass deploy`: validate and build everything offline first, then plan
against the live server, then (unless --dry-run) apply only what changed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotpass.deploy.apply import ApplyResult
    from hotpass.deploy.cache import DesiredCache
    from hotpass.deploy.plan import DeployPlan
    from hotpass.deploy.prefetch import ManagedPrefetch
    from hotpass.deploy.service import DeployRequest, DeployResult
    from hotpass.manifests import DeploymentSpec


def deploy_to_server(request: DeployRequest, specs: list[DeploymentSpec],
                     prefetch: ManagedPrefetch | None = None, *,
                     store: DesiredCache | None = None,
                     memo_dir: Path | None = None) -> DeployResult:
    """Build, plan and (unless --dry-run) apply. `store`: the cache slot to record the built
    state in (a miss); `memo_dir`: where to remember the URL Prefect's settings give."""
    from hotpass.deploy.apply import apply_plan
    from hotpass.deploy.plan import desired_states, plan_deployments
    from hotpass.prefect_local.client import prefect_client

    images: list[str] = []
    if request.build_image or request.push_image:
        from hotpass.deploy.image import images_to_build, require_docker_engine

        images = images_to_build(specs)
        require_docker_engine()
    desired = desired_states(specs)  # every build problem before any write
    if store is not None:
        store.store(desired)
    with prefect_client(request.api_url) as client:
        if memo_dir is not None:
            _remember_settings(request, memo_dir)
        managed = (prefetch.result(str(client.api_url), every=request.prune) if prefetch
                   else None)
        plan = plan_deployments(client, specs, prune=request.prune, desired=desired,
                                managed=managed)
        if request.dry_run:
            return plan_result(request, plan)
        if images:
            from hotpass.deploy.image import build_images

            build_images(images, push=request.push_image)
        return apply_result(request, plan, apply_plan(client, plan))


def _remember_settings(request: DeployRequest, memo_dir: Path) -> None:
    """When Prefect's settings chose the URL, remember what they say (deploy.settings_memo)."""
    if not (request.api_url or os.environ.get("PREFECT_API_URL")):
        from hotpass.deploy.settings_memo import remember_configured_url

        remember_configured_url(memo_dir)


def _summary(plan: DeployPlan) -> str:
    return ", ".join(f"{plan.count(a)} {a}" for a in ("create", "update", "unchanged", "delete"))


def plan_result(request: DeployRequest, plan: DeployPlan) -> DeployResult:
    from hotpass.deploy.service import DeployResult, DeployRow

    rows = tuple(DeployRow(r.id, r.deployment, r.action, r.changed_fields) for r in plan.rows)
    notes = [f"work pool {p} would be created (type process)" for p in plan.pools_to_create]
    notes.append(f"dry run: {_summary(plan)}; nothing was written")
    return DeployResult("plan", request.manifest_dir, rows, tuple(notes))


def apply_result(request: DeployRequest, plan: DeployPlan, applied: ApplyResult,
                 ) -> DeployResult:
    from hotpass.deploy.service import DeployResult, DeployRow

    rows = tuple(DeployRow(r.id, r.deployment, r.action, r.changed_fields)
                 for r in applied.rows)
    notes = [f"created work pool {p} (type process)" for p in applied.pools_created]
    notes.append(f"applied: {_summary(plan)} ({applied.writes} write"
                 f"{'s' if applied.writes != 1 else ''})")
    return DeployResult("apply", request.manifest_dir, rows, tuple(notes))
