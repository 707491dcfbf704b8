"""`hotpass deploy --prune` deletes only managed deployments missing from the set. Prune is
server-wide by design, so this module runs on its own server: it must not delete deployments
other tests registered on the shared `prefect_server`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from hotpass.cli import main
from hotpass.prefect_local.client import prefect_client
from hotpass.prefect_local.server import ServerHandle, start_server, stop_server

REFINEMENT = "hotpass-refinement-pipeline"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    handle = start_server(tmp_path_factory.mktemp("prune-server"), timeout=120)
    try:
        yield handle
    finally:
        stop_server(handle)


def manifest(name: str, pool: str = "prune-pool") -> str:
    return (f"id: {name}\nname: {name}\nflow: hotpass.orchestration:refinement_pipeline_flow\n"
            f"parameters: {{incremental: true, backfill: false}}\nwork_pool: {pool}\n")


@pytest.mark.integration
def test_prune_deletes_only_managed_deployments_not_in_the_set(own_server, tmp_path, capsys):
    api = own_server.api_url
    for name in ("keep", "gone"):
        (tmp_path / f"{name}.yaml").write_text(manifest(name))
    args = ["deploy", "--json", "--manifest-dir", str(tmp_path), "--api-url", api]
    assert main(args) == 0
    capsys.readouterr()
    with prefect_client(api) as client:
        flow_id = client.create_flow_from_name(REFINEMENT)
        client.create_deployment(flow_id=flow_id, name="hand-made", tags=["hotpass"])

    (tmp_path / "gone.yaml").unlink()
    assert main([*args, "--prune", "--dry-run"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert main([*args, "--prune"]) == 0
    applied = json.loads(capsys.readouterr().out)

    expected = [{"id": "keep", "deployment": f"{REFINEMENT}/keep", "action": "unchanged"},
                {"id": "-", "deployment": f"{REFINEMENT}/gone", "action": "delete"}]
    for document in (planned, applied):
        assert [{k: r[k] for k in ("id", "deployment", "action")}
                for r in document["deployments"]] == expected
    with prefect_client(api) as client:
        names = sorted(d.name for d in client.read_deployments())
    assert names == ["hand-made", "keep"]

    # the set is now cached: a managed deployment that appears on the server later is still
    # pruned (the cached unchanged path declines), and only it
    with prefect_client(api) as client:
        client.create_deployment(flow_id=flow_id, name="stray", tags=["managed-by:hotpass"])
    assert main([*args, "--prune"]) == 0
    rows = json.loads(capsys.readouterr().out)["deployments"]
    assert [(r["deployment"], r["action"]) for r in rows] == [
        (f"{REFINEMENT}/keep", "unchanged"), (f"{REFINEMENT}/stray", "delete")]
    assert main([*args, "--prune"]) == 0
    rows = json.loads(capsys.readouterr().out)["deployments"]
    assert [(r["deployment"], r["action"]) for r in rows] == [(f"{REFINEMENT}/keep", "unchanged")]
    with prefect_client(api) as client:
        assert sorted(d.name for d in client.read_deployments()) == ["hand-made", "keep"]
