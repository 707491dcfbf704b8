"""Apply a plan: create missing work pools, then only the creates, updates and deletes.

`unchanged` rows are never written (their `updated` timestamps do not move). Updates PATCH only
the changed fields; schedules are reconciled by slug through the schedule endpoints, so a changed
cron replaces the old schedule in place and stale or slug-less schedules are deleted (Prefect's
own re-apply leaves or recreates them, prefect-notes: Registration). Writes are sequential: SQLite
locks under concurrent upserts; a 503 from a lock is repeated at once by the client's transport
(hotpass.prefect_local.transport).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hotpass.deploy.plan import COMPARED_FIELDS, DeployPlan, Desired, PlanRow

POOL_TYPE = "process"
# changed-field name → the PATCH body keys it carries (schedules go through their own endpoints)
PATCH_KEYS: dict[str, tuple[str, ...]] = {label: (key,) for label, key in COMPARED_FIELDS}
PATCH_KEYS["schedules"] = ()
# the server resolves a queue name within the pool sent beside it: always send both
PATCH_KEYS["work_pool"] = PATCH_KEYS["work_queue"] = ("work_pool_name", "work_queue_name")


@dataclass(frozen=True)
class ApplyResult:
    rows: tuple[PlanRow, ...]
    pools_created: tuple[str, ...]
    writes: int
    seconds: float


def apply_plan(client: Any, plan: DeployPlan) -> ApplyResult:
    """Perform the plan's writes in order: pools, creates, updates, deletes."""
    started = time.monotonic()
    for pool in plan.pools_to_create:
        create_pool(client, pool)
    rows: list[PlanRow] = []
    flow_ids: dict[str, UUID] = {}
    for row in plan.rows:
        if row.action == "create":
            row = _create(client, plan.desired[row.id], flow_ids)
        elif row.action == "update":
            _update(client, row, plan.desired[row.id], plan.current[row.id])
        elif row.action == "delete" and row.deployment_id:
            client.delete_deployment(UUID(row.deployment_id))
        rows.append(row)
    return ApplyResult(tuple(rows), plan.pools_to_create, plan.writes,
                       time.monotonic() - started)


def create_pool(client: Any, name: str) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with contextlib.suppress(ObjectAlreadyExists):  # a worker may have created it meanwhile
        client.create_work_pool(WorkPoolCreate(name=name, type=POOL_TYPE))


def _create(client: Any, desired: Desired, flow_ids: dict[str, UUID]) -> PlanRow:
    if desired.flow_name not in flow_ids:
        flow_ids[desired.flow_name] = client.create_flow_from_name(desired.flow_name)
    body = {**desired.payload, "flow_id": str(flow_ids[desired.flow_name])}
    response = client.request("POST", "/deployments/", json=body)
    return PlanRow(desired.spec.id, desired.full_name, "create", (), str(response.json()["id"]))


def _update(client: Any, row: PlanRow, desired: Desired, current: dict[str, Any]) -> None:
    deployment_id = UUID(str(current["id"]))
    body = {key: desired.payload.get(key) for name in row.changed_fields
            for key in PATCH_KEYS[name]}
    if body:
        client.request("PATCH", "/deployments/{id}", path_params={"id": deployment_id},
                       json=body)
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
        client.update_deployment_schedule(deployment_id, keep, active=wanted.active,
                                          schedule=wanted.schedule)
    for stale in [UUID(s["id"]) for s in existing if UUID(s["id"]) != keep]:
        client.delete_deployment_schedule(deployment_id, stale)
    if wanted is not None and keep is None:
        client.create_deployment_schedules(deployment_id, [wanted])
