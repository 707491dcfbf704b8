"""`hotpass deploy` against a real Prefect server: plan, apply, idempotent re-apply, schedule
updates, paused deployments, work pools, prune, and the error exits (design §3–§4, issue 4)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from hotpass.cli import main
from hotpass.prefect_local.client import prefect_client
from hotpass.prefect_local.process import free_port

REFINEMENT = "hotpass-refinement-pipeline"
BACKFILL = "hotpass-backfill-pipeline"


def write_manifests(directory: Path, tag: str, *, cron: str = "0 6 * * *", pool: str = "",
                    image: str | None = None) -> dict[str, str]:
    """A two-manifest set with names unique to this test; returns id → full deployment name."""
    directory.mkdir(parents=True, exist_ok=True)
    pool = pool or f"pool-{tag}"
    (directory / "refinement.yaml").write_text(f"""\
id: refinement
name: refine-{tag}
flow: hotpass.orchestration:refinement_pipeline_flow
description: live test
tags: [hotpass]
schedule: {{kind: cron, value: "{cron}", timezone: UTC}}
parameters: {{incremental: true, backfill: false}}
work_pool: {pool}
{f"image: {image}" if image else ""}
""")
    (directory / "backfill.yaml").write_text(f"""\
id: backfill
name: backfill-{tag}
flow: hotpass.orchestration:backfill_pipeline_flow
schedule: {{kind: interval, value: 604800, timezone: UTC, active: false}}
parameters: {{backfill: true, incremental: false}}
work_pool: {pool}
concurrency_limit: 1
{f"image: {image}" if image else ""}
""")
    return {"refinement": f"{REFINEMENT}/refine-{tag}", "backfill": f"{BACKFILL}/backfill-{tag}"}


def deploy(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["deploy", "--json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def actions(document: dict[str, object]) -> dict[str, tuple[str, list[str]]]:
    rows = document["deployments"]
    assert isinstance(rows, list)
    return {r["id"]: (r["action"], r["changed_fields"]) for r in rows}


def read(api_url: str, full_name: str):  # type: ignore[no-untyped-def]
    with prefect_client(api_url) as client:
        return client.read_deployment_by_name(full_name)


@pytest.mark.integration
def test_plan_apply_reapply_and_schedule_change(prefect_server, tmp_path, capsys):
    api = prefect_server.api_url
    tag = uuid.uuid4().hex[:8]
    names = write_manifests(tmp_path / "set", tag)
    common = ("--manifest-dir", str(tmp_path / "set"), "--api-url", api)

    code, planned = deploy(capsys, *common, "--dry-run")
    assert code == 0
    assert actions(planned) == {"backfill": ("create", []), "refinement": ("create", [])}
    assert f"work pool pool-{tag} would be created (type process)" in planned["notes"]
    with prefect_client(api) as client:
        assert [d for d in client.read_deployments() if d.name.endswith(tag)] == []

    code, applied = deploy(capsys, *common)
    assert code == 0
    assert actions(applied) == {"backfill": ("create", []), "refinement": ("create", [])}
    assert f"created work pool pool-{tag} (type process)" in applied["notes"]
    with prefect_client(api) as client:
        assert client.read_work_pool(f"pool-{tag}").type == "process"
    before = {i: read(api, n) for i, n in names.items()}
    assert before["backfill"].paused is True
    assert before["refinement"].paused is False
    assert "managed-by:hotpass" in before["refinement"].tags
    assert before["backfill"].global_concurrency_limit.limit == 1

    for _ in range(3):
        code, again = deploy(capsys, *common)
        assert code == 0
        assert actions(again) == {"backfill": ("unchanged", []),
                                  "refinement": ("unchanged", [])}
    after = {i: read(api, n) for i, n in names.items()}
    for key in names:
        assert after[key].updated == before[key].updated
        assert len(after[key].schedules) == 1
    assert after["backfill"].paused is True

    write_manifests(tmp_path / "set", tag, cron="30 7 * * 1-5")
    code, changed = deploy(capsys, *common)
    assert code == 0
    assert actions(changed) == {"backfill": ("unchanged", []),
                                "refinement": ("update", ["schedules"])}
    refined = read(api, names["refinement"])
    assert [s.schedule.cron for s in refined.schedules] == ["30 7 * * 1-5"]
    assert refined.schedules[0].id == before["refinement"].schedules[0].id
    assert read(api, names["backfill"]).paused is True


@pytest.mark.integration
def test_paused_deployment_resumed_on_server_is_paused_again(prefect_server, tmp_path, capsys):
    api = prefect_server.api_url
    tag = uuid.uuid4().hex[:8]
    names = write_manifests(tmp_path / "set", tag)
    common = ("--manifest-dir", str(tmp_path / "set"), "--api-url", api, "--flow", "backfill")
    assert deploy(capsys, *common)[0] == 0
    with prefect_client(api) as client:
        client.resume_deployment(read(api, names["backfill"]).id)
    code, document = deploy(capsys, *common)
    assert code == 0
    action, fields = actions(document)["backfill"]
    assert action == "update"
    assert "paused" in fields
    assert read(api, names["backfill"]).paused is True


@pytest.mark.integration
def test_server_down_exits_3_with_masked_url(tmp_path, capsys):
    write_manifests(tmp_path / "set", "down")
    url = f"http://ops:s3cret@127.0.0.1:{free_port()}/api"
    code = main(["deploy", "--manifest-dir", str(tmp_path / "set"), "--api-url", url])
    err = capsys.readouterr().err
    assert code == 3
    assert "cannot reach the Prefect API at http://ops:***@127.0.0.1:" in err
    assert "s3cret" not in err
    assert "hotpass server start" in err


def test_invalid_manifest_exits_2_before_contacting_a_server(tmp_path, capsys):
    write_manifests(tmp_path / "set", "bad")
    (tmp_path / "set" / "broken.yaml").write_text("id: Not-Valid\nname: x\n")
    url = f"http://127.0.0.1:{free_port()}/api"
    code = main(["deploy", "--manifest-dir", str(tmp_path / "set"), "--api-url", url])
    err = capsys.readouterr().err
    assert code == 2
    assert "broken.yaml" in err
    assert "cannot reach" not in err


def _docker_engine_available() -> bool:
    from hotpass.deploy.image import require_docker_engine
    from hotpass.errors import UsageError

    try:
        require_docker_engine()
    except UsageError:
        return False
    return True


@pytest.mark.skipif(_docker_engine_available(), reason="a Docker engine is available here")
def test_build_image_without_docker_engine_exits_2(tmp_path, capsys):
    write_manifests(tmp_path / "set", "img", image="registry.example/hotpass:1")
    url = f"http://127.0.0.1:{free_port()}/api"
    code = main(["deploy", "--manifest-dir", str(tmp_path / "set"), "--api-url", url,
                 "--build-image"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no Docker engine is available" in err


def test_prune_with_flow_is_a_usage_error(tmp_path, capsys):
    write_manifests(tmp_path / "set", "prune-flow")
    code = main(["deploy", "--manifest-dir", str(tmp_path / "set"), "--prune", "--flow",
                 "refinement", "--api-url", f"http://127.0.0.1:{free_port()}/api"])
    assert code == 2
    assert "--prune" in capsys.readouterr().err


@pytest.mark.integration
def test_every_kind_of_change_converges_in_one_apply(prefect_server):
    from dataclasses import replace

    from hotpass.deploy.apply import apply_plan
    from hotpass.deploy.plan import plan_deployments
    from hotpass.manifests.spec import DeploymentSpec, ScheduleSpec

    base = DeploymentSpec(
        id="converge", name=f"converge-{uuid.uuid4().hex[:8]}",
        flow="hotpass.orchestration:backfill_pipeline_flow", source=Path("converge.yaml"),
        description="d", tags=("hotpass",), parameters={"backfill": True},
        schedule=ScheduleSpec("interval", 604800, "UTC", "2024-01-01T00:00:00", False),
        work_pool="converge-pool", concurrency_limit=1)
    variants = [
        base, replace(base, concurrency_limit=None), replace(base, concurrency_limit=4),
        replace(base, job_variables={"env": {"A": "1"}}), replace(base, description=None),
        replace(base, work_queue="q1"), replace(base, enforce_parameter_schema=False),
        replace(base, schedule=ScheduleSpec("cron", "0 1 * * *", "UTC")),
        replace(base, schedule=None), replace(base, parameters={"rerun": "all"}),
        replace(base, work_pool="converge-other"), base,
    ]
    with prefect_client(prefect_server.api_url) as client:
        for spec in variants:
            apply_plan(client, plan_deployments(client, [spec], prune=False))
            again = plan_deployments(client, [spec], prune=False)
            assert [r.action for r in again.rows] == ["unchanged"], (spec, again.rows)
        final = client.read_deployment_by_name(f"{BACKFILL}/{base.name}")
    assert final.paused is True
    assert len(final.schedules) == 1
    assert final.global_concurrency_limit.limit == 1


def test_without_any_server_configured_deploy_says_how_to_start_one(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    write_manifests(tmp_path / "set", "none")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "hotpass"), "deploy", "--manifest-dir",
         str(tmp_path / "set")], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False)
    assert done.returncode == 3, done.stderr
    assert "no Prefect server is configured" in done.stderr
    assert "hotpass server start" in done.stderr
