"""The plan's field-by-field comparison, without a server: the desired state built from a
manifest against server JSON shaped like Prefect's API answers."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

from hotpass.bundles.masking import mask_url
from hotpass.deploy.plan import changed_fields, desired_state, server_state
from hotpass.manifests.spec import DeploymentSpec, ScheduleSpec

SPEC = DeploymentSpec(
    id="refinement", name="hotpass-refinement",
    flow="hotpass.orchestration:refinement_pipeline_flow", source=Path("prefect/x.yaml"),
    description="daily", tags=("hotpass",),
    schedule=ScheduleSpec(kind="cron", value="0 6 * * *", timezone="UTC"),
    parameters={"incremental": True}, work_pool="hotpass-pool", concurrency_limit=2)


def as_server_json(spec: DeploymentSpec) -> dict[str, object]:
    """What the server answers for a deployment created from `spec`'s payload."""
    desired = desired_state(spec)
    payload = desired.payload
    deployment_id = str(uuid.uuid4())
    return {**payload, "id": deployment_id, "work_queue_name": "default",
            "concurrency_limit": None,
            "global_concurrency_limit": {"limit": spec.concurrency_limit},
            "schedules": [{"id": str(uuid.uuid4()), "deployment_id": deployment_id,
                           "active": s["active"],
                           "slug": s["slug"], "schedule": s["schedule"]}
                          for s in desired.state["schedules"]]}


def test_identical_deployment_is_unchanged():
    assert changed_fields(desired_state(SPEC).state, server_state(as_server_json(SPEC))) == ()


def test_each_changed_field_is_named():
    server = server_state(as_server_json(SPEC))
    cron = replace(SPEC, schedule=replace(SPEC.schedule, value="30 7 * * *"))
    assert changed_fields(desired_state(cron).state, server) == ("schedules",)
    paused = replace(SPEC, schedule=replace(SPEC.schedule, active=False))
    assert changed_fields(desired_state(paused).state, server) == ("schedules", "paused")
    several = replace(SPEC, tags=("hotpass", "new"), concurrency_limit=3,
                      parameters={"incremental": False})
    assert changed_fields(desired_state(several).state, server) == (
        "tags", "parameters", "concurrency_limit")


def test_a_stale_second_schedule_counts_as_a_schedule_change():
    body = as_server_json(SPEC)
    schedules = body["schedules"]
    assert isinstance(schedules, list)
    body["schedules"] = [*schedules, {**schedules[0], "id": str(uuid.uuid4()), "slug": None}]
    assert changed_fields(desired_state(SPEC).state, server_state(body)) == ("schedules",)


def test_urls_are_shown_without_credentials():
    assert mask_url("https://user:pw@prefect.example/api?token=x#f") == (
        "https://user:***@prefect.example/api?token=***")
    assert mask_url("https://ghp_0123456789@github.example/x") == "https://***@github.example/x"
    assert mask_url("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200/api"
