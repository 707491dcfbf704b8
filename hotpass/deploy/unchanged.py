"""The unchanged re-apply without Prefect: cached desired state against the server's JSON.

When the deploy cache holds the desired state for the current inputs (deploy.cache), the server
was read by the prefetch (no Prefect) from the URL the Prefect client would use, every selected
deployment is on the server with exactly the cached compared fields, no work pool is missing and
(with --prune) no managed deployment is left over, then nothing needs writing: the result is the
one the full path would give, without importing Prefect or any flow. In every other case this
says nothing (None) and the full path validates, builds, plans and applies as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotpass.deploy.plan import DeployPlan, PlanRow, changed_fields, prune_rows, server_state

if TYPE_CHECKING:
    from hotpass.deploy.cache import CachedDeployment
    from hotpass.deploy.prefetch import ManagedPrefetch
    from hotpass.deploy.service import DeployRequest, DeployResult


def unchanged_result(request: DeployRequest, cached: tuple[CachedDeployment, ...],
                     prefetch: ManagedPrefetch) -> DeployResult | None:
    """The plan (--dry-run) or apply result when nothing needs writing; None when anything
    does, or when that cannot be told here."""
    if request.build_image or request.push_image:
        return None  # the full path builds the images
    plan = unchanged_plan(cached, prefetch, prune=request.prune)
    if plan is None:
        return None
    from hotpass.deploy.apply import ApplyResult
    from hotpass.deploy.server import apply_result, plan_result

    if request.dry_run:
        return plan_result(request, plan)
    return apply_result(request, plan, ApplyResult(plan.rows, (), 0, 0.0))


def unchanged_plan(cached: tuple[CachedDeployment, ...], prefetch: ManagedPrefetch, *,
                   prune: bool) -> DeployPlan | None:
    """A plan of `unchanged` rows only, or None."""
    if not prefetch.settled or prefetch.api_url is None:
        return None
    managed = prefetch.result(prefetch.api_url, every=prune)
    if managed is None:
        return None
    rows = []
    for item in cached:
        found = managed.get(item.deployment)
        if found is None or changed_fields(item.state,
                                           server_state(found, parse_schedules=False)):
            return None
        rows.append(PlanRow(item.id, item.deployment, "unchanged", (), str(found["id"])))
    if prune and prune_rows(None, {item.deployment for item in cached}, managed):
        return None
    pools = sorted({item.work_pool for item in cached if item.work_pool})
    if pools and prefetch.missing_pools(pools) != []:
        return None
    return DeployPlan(tuple(rows))
