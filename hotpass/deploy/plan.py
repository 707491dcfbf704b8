"""Compare the manifests with the server, field by field, before anything is written.

Actions: `create`, `update` (with the changed fields), `unchanged`, and with prune `delete` for
server deployments tagged `managed-by:hotpass` that are not in the set. Server state is read in
a few bulk requests (deployments by name, their flows, the work pools), never one per manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

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


def desired_states(specs: list[DeploymentSpec]) -> list[Desired]:
    """`desired_state` for every spec, generating each flow's parameter schema once."""
    with _one_schema_per_flow():
        return [desired_state(spec) for spec in specs]


@contextmanager
def _one_schema_per_flow() -> Iterator[None]:
    """`RunnerDeployment.from_flow` regenerates the flow's parameter schema for every deployment
    (10-20 ms each, half of building 50 deployments of one flow). A flow's signature cannot
    change within a process, so while building, each flow's schema is generated once."""
    from prefect.deployments import runner

    original = getattr(runner, "parameter_schema")  # noqa: B009 - not re-exported
    schemas: dict[int, tuple[Any, Any]] = {}

    def cached(flow: Any) -> Any:
        if id(flow) not in schemas:
            schemas[id(flow)] = (flow, original(flow))
        return schemas[id(flow)][1].model_copy(deep=True)

    setattr(runner, "parameter_schema", cached)  # noqa: B010
    try:
        yield
    finally:
        setattr(runner, "parameter_schema", original)  # noqa: B010


def _queue(queue: str | None, pool: str | None) -> str | None:
    return queue or (DEFAULT_QUEUE if pool else None)


def _schedule_state(slug: str | None, active: bool | None, schedule: Any) -> dict[str, Any]:
    return {"slug": slug, "active": bool(active), "schedule": schedule.model_dump(mode="json")}


def _schedule_key(item: dict[str, Any]) -> str:
    return str(item.get("slug") or "")


def server_state(body: dict[str, Any], *, parse_schedules: bool = True) -> dict[str, Any]:
    """The compared fields of a server deployment (its JSON), normalised like `desired_state`.

    With `parse_schedules=False` the schedules are taken as the server wrote them, without
    Prefect: equal to the desired state only if Prefect's parse would be too (a model's JSON
    dump reads back to itself), while a difference may be one of spelling only. So a
    Prefect-free comparison can prove a deployment unchanged but never prove it changed."""
    schedule = _server_schedule if parse_schedules else _raw_schedule
    limit = (body.get("global_concurrency_limit") or {}).get("limit")
    state = {key: body.get(key) for _, key in COMPARED_FIELDS}
    state.update(
        schedules=sorted((schedule(s) for s in body.get("schedules") or []),
                         key=_schedule_key),
        tags=sorted(body.get("tags") or []), job_variables=body.get("job_variables") or {},
        # stored as the global limit `deployment:<id>`; the field itself reads back null
        concurrency_limit=limit if limit is not None else body.get("concurrency_limit"),
        work_queue_name=_queue(body.get("work_queue_name"), body.get("work_pool_name")))
    return state


def _server_schedule(item: dict[str, Any]) -> dict[str, Any]:
    """Parse only the schedule through Prefect's model, so both sides serialise alike."""
    from prefect.client.schemas.objects import DeploymentSchedule

    parsed = DeploymentSchedule.model_validate(item)
    return _schedule_state(parsed.slug, parsed.active, parsed.schedule)


def _raw_schedule(item: dict[str, Any]) -> dict[str, Any]:
    return {"slug": item.get("slug"), "active": bool(item.get("active")),
            "schedule": item.get("schedule")}


def changed_fields(desired: dict[str, Any], current: dict[str, Any]) -> tuple[str, ...]:
    return tuple(label for label, key in COMPARED_FIELDS if desired.get(key) != current.get(key))


def plan_deployments(client: Any, specs: list[DeploymentSpec], *, prune: bool,
                     desired: list[Desired] | None = None,
                     managed: dict[str, dict[str, Any]] | None = None) -> DeployPlan:
    """The plan for `specs` against the server `client` talks to. Reads only. `managed`, when
    given, holds the server's managed deployments read beforehand (see deploy.prefetch)."""
    wanted = desired if desired is not None else desired_states(specs)
    on_server = _current(client, wanted, managed)
    rows: list[PlanRow] = []
    current: dict[str, dict[str, Any]] = {}
    for item in wanted:
        found = on_server.get(item.full_name)
        if found is None:
            rows.append(PlanRow(item.spec.id, item.full_name, "create"))
            continue
        current[item.spec.id] = {"id": found["id"], "state": server_state(found),
                                 "schedules": found.get("schedules") or []}
        changed = changed_fields(item.state, current[item.spec.id]["state"])
        rows.append(PlanRow(item.spec.id, item.full_name, "update" if changed else "unchanged",
                            changed, found["id"]))
    if prune:
        rows += prune_rows(client, {d.full_name for d in wanted}, managed)
    pools = missing_pools(client, sorted({s.spec.work_pool for s in wanted if s.spec.work_pool}))
    return DeployPlan(tuple(rows), tuple(pools), {d.spec.id: d for d in wanted}, current)


def _current(client: Any, wanted: list[Desired], managed: dict[str, dict[str, Any]] | None,
             ) -> dict[str, dict[str, Any]]:
    """Server deployments for the wanted names: from `managed` where there, the rest by name
    (an unmanaged deployment may already use a manifest's name)."""
    found = {d.full_name: managed[d.full_name] for d in wanted
             if managed is not None and d.full_name in managed}
    missing = sorted({d.spec.name for d in wanted if d.full_name not in found})
    if missing:
        found.update(read_server_deployments(client_post(client), names=missing))
    return found


Post = Callable[[str, dict[str, Any]], Any]  # (API route, JSON body) -> decoded JSON answer


def client_post(client: Any) -> Post:
    """`Post` through a Prefect client (the plan); deploy.prefetch posts without Prefect."""
    return lambda route, body: client.request("POST", f"/{route}", json=body).json()


def read_server_deployments(post: Post, *, names: list[str] | None = None,
                            tag: str | None = None) -> dict[str, dict[str, Any]]:
    """Server deployments (by name or tag) as API JSON, keyed by `flow-name/deployment-name`.

    Raw JSON on purpose: validating every response into Prefect's models took longer than the
    rest of an unchanged plan."""
    if names is not None and not names:
        return {}
    deployments: dict[str, Any] = {}
    if names:
        deployments["name"] = {"any_": names}
    if tag:
        deployments["tags"] = {"all_": [tag]}
    found = _read_pages(post, "deployments/filter", {"deployments": deployments})
    flow_names = _flow_names(post, sorted({d["flow_id"] for d in found}))
    return {f"{flow_names.get(d['flow_id'], d['flow_id'])}/{d['name']}": d for d in found}


def _read_pages(post: Post, route: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = post(route, {**body, "limit": PAGE, "offset": len(found)})
        found += page
        if len(page) < PAGE:
            return found


def _flow_names(post: Post, flow_ids: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for start in range(0, len(flow_ids), PAGE):
        chunk = flow_ids[start:start + PAGE]
        for flow in _read_pages(post, "flows/filter", {"flows": {"id": {"any_": chunk}}}):
            names[flow["id"]] = flow["name"]
    return names


def prune_rows(client: Any, keep: set[str],
               managed: dict[str, dict[str, Any]] | None = None) -> list[PlanRow]:
    """`delete` rows for managed server deployments that are not in the set (others untouched)."""
    if managed is None:
        managed = read_server_deployments(client_post(client), tag=MANAGED_TAG)
    return [PlanRow("-", full_name, "delete", (), d["id"])
            for full_name, d in sorted(managed.items())
            if full_name not in keep and MANAGED_TAG in (d.get("tags") or [])]


def missing_pools(client: Any, pools: list[str]) -> list[str]:
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName

    if not pools:
        return []
    existing = {p.name for p in client.read_work_pools(
        work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=pools)))}
    return [p for p in pools if p not in existing]
