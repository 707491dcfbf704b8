"""Compare the manifests with the server, field by field, before anything is written.

Actions: `create`, `update` (with the changed fields), `unchanged`, and with prune `delete` for
server deployments tagged `managed-by:hotpass` that are not in the set. Server state is read in
a few bulk requests (deployments by name, their flows, the work pools), never one per manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from hotpass.manifests.spec import MANAGED_TAG, DeploymentSpec

PAGE = 200
# The comparison, in the order changed fields are reported: (reported name, payload key).
COMPARED_FIELDS = (
    ("description", "description"), ("tags", "tags"), ("parameters", "parameters"),
    ("schedules", "schedules"), ("paused", "paused"), ("work_pool", "work_pool_name"),
    ("work_queue", "work_queue_name"), ("concurrency_limit", "concurrency_limit"),
    ("job_variables", "job_variables"), ("entrypoint", "entrypoint"),
    ("enforce_parameter_schema", "enforce_parameter_schema"),
    ("parameter_schema", "parameter_openapi_schema"),
)
DEFAULT_QUEUE = "default"


@dataclass(frozen=True)
class Desired:
    """What one manifest should look like on the server."""

    spec: DeploymentSpec
    flow_name: str
    payload: dict[str, Any]  # the create body (flow_id still a placeholder), JSON-safe
    state: dict[str, Any]  # the compared fields, normalised

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.spec.name}"


@dataclass(frozen=True)
class PlanRow:
    id: str  # manifest id ("-" for a deployment only the server has)
    deployment: str  # flow-name/deployment-name
    action: str  # create | update | unchanged | delete
    changed_fields: tuple[str, ...] = ()
    deployment_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "deployment": self.deployment, "action": self.action,
                "changed_fields": list(self.changed_fields),
                "deployment_id": self.deployment_id}


@dataclass(frozen=True)
class DeployPlan:
    rows: tuple[PlanRow, ...]
    pools_to_create: tuple[str, ...] = ()
    desired: dict[str, Desired] = field(default_factory=dict)  # by manifest id
    current: dict[str, dict[str, Any]] = field(default_factory=dict)  # by manifest id

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def writes(self) -> int:
        return len(self.rows) - self.count("unchanged") + len(self.pools_to_create)

    def to_json(self) -> dict[str, Any]:
        return {"deployments": [r.to_json() for r in self.rows],
                "work_pools_to_create": list(self.pools_to_create),
                "summary": {a: self.count(a) for a in ("create", "update", "unchanged",
                                                       "delete")}}


def desired_state(spec: DeploymentSpec) -> Desired:
    """Build the deployment offline and normalise the compared fields."""
    from hotpass.deploy.build import build_runner_deployment, payload_from_runner

    runner = build_runner_deployment(spec)
    payload = payload_from_runner(runner)
    flow_name = str(payload.pop("flow_name"))
    schedules = [_schedule_state(s.slug, s.active, s.schedule) for s in runner.schedules or []]
    state = {key: payload.get(key) for _, key in COMPARED_FIELDS}
    state.update(schedules=sorted(schedules, key=_schedule_key), tags=sorted(payload["tags"]),
                 job_variables=payload.get("job_variables") or {},
                 work_queue_name=_queue(payload.get("work_queue_name"),
                                        payload.get("work_pool_name")))
    return Desired(spec=spec, flow_name=flow_name, payload=payload, state=state)


def _queue(queue: str | None, pool: str | None) -> str | None:
    return queue or (DEFAULT_QUEUE if pool else None)


def _schedule_state(slug: str | None, active: bool | None, schedule: Any) -> dict[str, Any]:
    return {"slug": slug, "active": bool(active), "schedule": schedule.model_dump(mode="json")}


def _schedule_key(item: dict[str, Any]) -> str:
    return str(item.get("slug") or "")


def server_state(deployment: Any) -> dict[str, Any]:
    """The compared fields of a server deployment, normalised like `desired_state`."""
    body = deployment.model_dump(mode="json")
    limit = (body.get("global_concurrency_limit") or {}).get("limit")
    state = {key: body.get(key) for _, key in COMPARED_FIELDS}
    state.update(
        schedules=sorted((_schedule_state(s.slug, s.active, s.schedule)
                          for s in deployment.schedules), key=_schedule_key),
        tags=sorted(body.get("tags") or []), job_variables=body.get("job_variables") or {},
        # stored as the global limit `deployment:<id>`; the field itself reads back null
        concurrency_limit=limit if limit is not None else body.get("concurrency_limit"),
        work_queue_name=_queue(body.get("work_queue_name"), body.get("work_pool_name")))
    return state


def changed_fields(desired: dict[str, Any], current: dict[str, Any]) -> tuple[str, ...]:
    return tuple(label for label, key in COMPARED_FIELDS if desired.get(key) != current.get(key))


def plan_deployments(client: Any, specs: list[DeploymentSpec], *, prune: bool,
                     desired: list[Desired] | None = None) -> DeployPlan:
    """The plan for `specs` against the server `client` talks to. Reads only."""
    wanted = desired if desired is not None else [desired_state(s) for s in specs]
    on_server = read_server_deployments(client, names=sorted({d.spec.name for d in wanted}))
    rows: list[PlanRow] = []
    current: dict[str, dict[str, Any]] = {}
    for item in wanted:
        found = on_server.get(item.full_name)
        if found is None:
            rows.append(PlanRow(item.spec.id, item.full_name, "create"))
            continue
        current[item.spec.id] = {"id": str(found.id), "state": server_state(found),
                                 "schedules": found.schedules}
        changed = changed_fields(item.state, current[item.spec.id]["state"])
        rows.append(PlanRow(item.spec.id, item.full_name, "update" if changed else "unchanged",
                            changed, str(found.id)))
    if prune:
        rows += prune_rows(client, {d.full_name for d in wanted})
    pools = missing_pools(client, sorted({s.spec.work_pool for s in wanted if s.spec.work_pool}))
    return DeployPlan(tuple(rows), tuple(pools), {d.spec.id: d for d in wanted}, current)


def read_server_deployments(client: Any, *, names: list[str] | None = None,
                            tag: str | None = None) -> dict[str, Any]:
    """Server deployments (by name or tag) keyed by `flow-name/deployment-name`."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        DeploymentFilterTags,
    )

    if names is not None and not names:
        return {}
    deployment_filter = DeploymentFilter(
        name=DeploymentFilterName(any_=names) if names else None,
        tags=DeploymentFilterTags(all_=[tag]) if tag else None)
    found: list[Any] = []
    while True:
        page = client.read_deployments(deployment_filter=deployment_filter, limit=PAGE,
                                       offset=len(found))
        found += page
        if len(page) < PAGE:
            break
    flow_names = _flow_names(client, sorted({d.flow_id for d in found}))
    return {f"{flow_names.get(d.flow_id, d.flow_id)}/{d.name}": d for d in found}


def _flow_names(client: Any, flow_ids: list[UUID]) -> dict[UUID, str]:
    from prefect.client.schemas.filters import FlowFilter, FlowFilterId

    names: dict[UUID, str] = {}
    for start in range(0, len(flow_ids), PAGE):
        chunk = flow_ids[start:start + PAGE]
        for flow in client.read_flows(flow_filter=FlowFilter(id=FlowFilterId(any_=chunk)),
                                      limit=PAGE):
            names[flow.id] = flow.name
    return names


def prune_rows(client: Any, keep: set[str]) -> list[PlanRow]:
    """`delete` rows for managed server deployments that are not in the set (others untouched)."""
    managed = read_server_deployments(client, tag=MANAGED_TAG)
    return [PlanRow("-", full_name, "delete", (), str(d.id))
            for full_name, d in sorted(managed.items())
            if full_name not in keep and MANAGED_TAG in (d.tags or [])]


def missing_pools(client: Any, pools: list[str]) -> list[str]:
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName

    if not pools:
        return []
    existing = {p.name for p in client.read_work_pools(
        work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=pools)))}
    return [p for p in pools if p not in existing]
