"""DeploymentSpec → Prefect RunnerDeployment and the exact API create payload (no server needed)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from hotpass.manifests.check import build_prefect_schedule, import_flow
from hotpass.manifests.spec import DeploymentSpec, ScheduleSpec

# Offline there is no flow id yet: the server assigns one when the flow is first registered.
PLACEHOLDER_FLOW_ID = UUID(int=0)


def schedule_slug(spec: DeploymentSpec) -> str:
    """A stable slug per deployment schedule, so a changed schedule updates in place instead of
    piling up a second one (prefect-notes: Registration)."""
    return f"hotpass-{spec.id}"


def schedule_create(spec: DeploymentSpec) -> Any:
    """The manifest schedule as a Prefect DeploymentScheduleCreate (None without a schedule)."""
    from prefect.client.schemas.actions import DeploymentScheduleCreate

    if spec.schedule is None:
        return None
    return DeploymentScheduleCreate(schedule=build_prefect_schedule(_schedule_mapping(
        spec.schedule)), active=spec.schedule.active, slug=schedule_slug(spec))


def _schedule_mapping(schedule: ScheduleSpec) -> dict[str, Any]:
    mapping: dict[str, Any] = {"kind": schedule.kind, "value": schedule.value,
                               "timezone": schedule.timezone}
    if schedule.anchor_date:
        mapping["anchor_date"] = schedule.anchor_date
    return mapping


def build_runner_deployment(spec: DeploymentSpec) -> Any:
    """A Prefect RunnerDeployment with a module-path entrypoint and a simple version type, so
    `apply()` neither needs an image nor derives a version from git."""
    from prefect._internal.versioning import VersionType
    from prefect.deployments.runner import RunnerDeployment
    from prefect.types.entrypoint import EntrypointType

    schedule = schedule_create(spec)
    return RunnerDeployment.from_flow(
        import_flow(spec.flow), name=spec.name,
        schedules=[schedule] if schedule is not None else [],
        paused=not spec.schedule.active if spec.schedule else False,
        concurrency_limit=spec.concurrency_limit, parameters=dict(spec.parameters),
        description=spec.description, tags=list(spec.all_tags),
        version_type=VersionType.SIMPLE, enforce_parameter_schema=spec.enforce_parameter_schema,
        work_pool_name=spec.work_pool, work_queue_name=spec.work_queue,
        job_variables=dict(spec.job_variables), entrypoint_type=EntrypointType.MODULE_PATH,
    )


def create_payload(spec: DeploymentSpec) -> dict[str, Any]:
    """The body Prefect's `POST /deployments/` receives for this spec (as RunnerDeployment._create
    builds it), JSON-safe, with `flow_id` set to a placeholder, plus `flow_name` beside it so
    the file says which flow the id stands for."""
    return payload_from_runner(build_runner_deployment(spec))


def payload_from_runner(deployment: Any) -> dict[str, Any]:
    from prefect.client.schemas.actions import DeploymentCreate

    body = DeploymentCreate(
        flow_id=PLACEHOLDER_FLOW_ID, name=deployment.name,
        work_queue_name=deployment.work_queue_name, work_pool_name=deployment.work_pool_name,
        version=deployment.version, paused=deployment.paused,
        schedules=deployment.schedules or [], concurrency_limit=deployment.concurrency_limit,
        parameters=deployment.model_dump(mode="json", include={"parameters"})["parameters"],
        description=deployment.description, tags=deployment.tags,
        path=None, entrypoint=deployment.entrypoint,
        parameter_openapi_schema=deployment._parameter_openapi_schema.model_dump(
            exclude_unset=True),
        enforce_parameter_schema=deployment.enforce_parameter_schema,
        job_variables=deployment.job_variables if deployment.work_pool_name else {},
        pull_steps=[] if deployment.work_pool_name else None,
    )
    payload: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True)
    return {"flow_name": deployment.flow_name, **payload}
