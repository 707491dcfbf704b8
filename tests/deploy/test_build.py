"""Building Prefect deployments and their create payloads, without a server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hotpass.deploy.build import PLACEHOLDER_FLOW_ID, build_runner_deployment, create_payload
from hotpass.manifests import MANAGED_TAG, load_manifest_set
from hotpass.manifests.overrides import apply_overrides
from hotpass.paths import MANIFEST_DIR


def _specs() -> dict[str, object]:
    return {s.id: s for s in load_manifest_set(MANIFEST_DIR).specs}


def test_runner_deployment_uses_a_module_path_entrypoint() -> None:
    spec = _specs()["refinement"]
    deployment = build_runner_deployment(spec)  # type: ignore[arg-type]
    assert deployment.entrypoint == "hotpass.orchestration.refinement_pipeline_flow"
    assert deployment.flow_name == "hotpass-refinement-pipeline"
    assert deployment.name == "hotpass-refinement"


def test_payload_is_what_the_api_receives() -> None:
    payload = create_payload(_specs()["backfill"])  # type: ignore[arg-type]
    assert payload["flow_id"] == str(PLACEHOLDER_FLOW_ID)
    assert payload["flow_name"] == "hotpass-backfill-pipeline"
    assert MANAGED_TAG in payload["tags"]
    assert payload["paused"] is True
    (schedule,) = payload["schedules"]
    assert schedule["active"] is False
    assert schedule["slug"] == "hotpass-backfill"
    assert schedule["schedule"]["interval"] == 604800.0
    assert schedule["schedule"]["anchor_date"].startswith("2024-01-01T00:00:00")
    assert payload["concurrency_limit"] == 1
    assert payload["parameters"]["backfill"] is True
    assert "since" in payload["parameter_openapi_schema"]["properties"]


def test_payload_is_stable_across_builds() -> None:
    spec = _specs()["backfill"]
    assert create_payload(spec) == create_payload(spec)  # type: ignore[arg-type]


def test_overrides_change_name_schedule_and_pool() -> None:
    spec = _specs()["refinement"]
    (renamed,) = apply_overrides([spec], name="renamed", schedule="none",  # type: ignore[list-item]
                                 work_pool="other")
    payload = create_payload(renamed)
    assert (payload["name"], payload["schedules"], payload["work_pool_name"]) == (
        "renamed", [], "other")
    (cron,) = apply_overrides([replace(spec, source=Path("x"))],  # type: ignore[type-var]
                              schedule="*/5 * * * *")
    assert create_payload(cron)["schedules"][0]["schedule"]["cron"] == "*/5 * * * *"
