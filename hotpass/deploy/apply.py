"""Apply a plan: create missing work pools, then only the creates, updates and deletes.

`unchanged` rows are never written (their `updated` timestamps do not move). Updates PATCH only
the changed fields; schedules are reconciled by slug through the schedule endpoints, so a changed
cron replaces the old schedule in place and stale or slug-less schedules are deleted (Prefect's
own re-apply leaves or recreates them, prefect-notes: Registration). Writes are sequential: SQLite
locks under concurrent upserts.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from hotpass.deploy.plan import DeployPlan, Desired, PlanRow
from hotpass.manifests.spec import DeploymentSpec

POOL_TYPE = "process"
RETRY_DELAYS = (0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 3.0)
RETRY_STATUS = (429, 503)
T = TypeVar("T")
# changed-field name → the PATCH body keys it carries
PATCH_KEYS = {
    "description": ("description",), "tags": ("tags",), "parameters": ("parameters",),
    # the server resolves a queue name within the pool sent beside it: always send both
    "paused": ("paused",), "work_pool": ("work_pool_name", "work_queue_name"),
    "work_queue": ("work_pool_name", "work_queue_name"),
    "concurrency_limit": ("concurrency_limit",), "job_variables": ("job_variables",),
    "entrypoint": ("entrypoint",), "enforce_parameter_schema": ("enforce_parameter_schema",),
    "parameter_schema": ("parameter_openapi_schema",),
}


@dataclass(frozen=True)
class ApplyResult:
    rows: tuple[PlanRow, ...]
    pools_created: tuple[str, ...]
    writes: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"deployments": [r.to_json() for r in self.rows],
                "work_pools_created": list(self.pools_created), "writes": self.writes,
                "seconds": round(self.seconds, 3)}


def apply_plan(client: Any, plan: DeployPlan, specs: list[DeploymentSpec] | None = None,
               ) -> ApplyResult:
    """Perform the plan's writes in order: pools, creates, updates, deletes. `specs` is accepted
    for symmetry with `plan_deployments`; the plan already carries what it needs."""
    from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    # Our own short retry replaces Prefect's (2 s, 4 s, … after each 503), see `retried`.
    with temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 0}):
        return _apply(client, plan)


def retried(call: Callable[[], T]) -> T:
    """Run one write, retrying quickly while the server answers 503: SQLite reports "database
    is locked" when a write meets the server's own services (scheduler, event persister) and
    the transaction was rolled back, so repeating it is safe. Prefect's client would wait 2 s,
    then 4 s; a lock is gone in well under a second."""
    from prefect.exceptions import PrefectHTTPStatusError

    for delay in RETRY_DELAYS:
        try:
            return call()
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code not in RETRY_STATUS:
                raise
        time.sleep(delay)
    return call()


def _apply(client: Any, plan: DeployPlan) -> ApplyResult:
    started = time.monotonic()
    for pool in plan.pools_to_create:
        retried(lambda pool=pool: create_pool(client, pool))  # type: ignore[misc]
    rows: list[PlanRow] = []
    flow_ids: dict[str, UUID] = {}
    for row in plan.rows:
        if row.action == "create":
            row = _create(client, plan.desired[row.id], flow_ids)
        elif row.action == "update":
            _update(client, row, plan.desired[row.id], plan.current[row.id])
        elif row.action == "delete" and row.deployment_id:
            _delete(client, UUID(row.deployment_id))
        rows.append(row)
    return ApplyResult(tuple(rows), plan.pools_to_create, plan.writes,
                       time.monotonic() - started)


def _delete(client: Any, deployment_id: UUID) -> None:
    retried(lambda: client.delete_deployment(deployment_id))


def create_pool(client: Any, name: str) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with contextlib.suppress(ObjectAlreadyExists):  # a worker may have created it meanwhile
        client.create_work_pool(WorkPoolCreate(name=name, type=POOL_TYPE))


def _create(client: Any, desired: Desired, flow_ids: dict[str, UUID]) -> PlanRow:
    if desired.flow_name not in flow_ids:
        flow_ids[desired.flow_name] = retried(
            lambda: client.create_flow_from_name(desired.flow_name))
    body = {**desired.payload, "flow_id": str(flow_ids[desired.flow_name])}
    response = retried(lambda: client.request("POST", "/deployments/", json=body))
    return PlanRow(desired.spec.id, desired.full_name, "create", (), str(response.json()["id"]))


def _update(client: Any, row: PlanRow, desired: Desired, current: dict[str, Any]) -> None:
    deployment_id = UUID(str(current["id"]))
    body = {key: desired.payload.get(key) for name in row.changed_fields
            for key in PATCH_KEYS.get(name, ())}
    if body:
        retried(lambda: client.request("PATCH", "/deployments/{id}",
                                       path_params={"id": deployment_id}, json=body))
    if "schedules" in row.changed_fields:
        reconcile_schedules(client, deployment_id, desired, current["schedules"])


def reconcile_schedules(client: Any, deployment_id: UUID, desired: Desired,
                        existing: list[dict[str, Any]]) -> None:
    """Make the server's schedules exactly the desired ones: update by slug, create missing,
    delete everything else (stale slugs and slug-less schedules)."""
    from hotpass.deploy.build import schedule_create

    wanted = schedule_create(desired.spec)
    by_slug = {s["slug"]: UUID(s["id"]) for s in existing if s.get("slug")}
    keep: UUID | None = None
    if wanted is not None and wanted.slug in by_slug:
        keep = by_slug[wanted.slug]
        schedule_id = keep
        retried(lambda: client.update_deployment_schedule(
            deployment_id, schedule_id, active=wanted.active, schedule=wanted.schedule))
    for stale in [UUID(s["id"]) for s in existing if UUID(s["id"]) != keep]:
        retried(lambda stale=stale: client.delete_deployment_schedule(  # type: ignore[misc]
            deployment_id, stale))
    if wanted is not None and keep is None:
        retried(lambda: client.create_deployment_schedules(deployment_id, [wanted]))
