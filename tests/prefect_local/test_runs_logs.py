"""A run through a real process worker completes and its logs export (integration)."""

from __future__ import annotations

import json

import pytest

from hotpass.cli import main
from hotpass.prefect_local.client import prefect_client
from hotpass.prefect_local.logs import export_logs
from hotpass.prefect_local.runs import trigger_run, wait_for_run


def _register_hello(api_url: str, pool: str) -> str:
    from prefect.deployments.runner import EntrypointType, RunnerDeployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.prefect_local.sample_flows import hello_flow

    deployment = RunnerDeployment.from_flow(
        hello_flow, name="hello", entrypoint_type=EntrypointType.MODULE_PATH,
        version_type="prefect:simple", work_pool_name=pool)
    with temporary_settings({PREFECT_API_URL: api_url}):
        deployment.apply()
    return "hotpass-test-hello/hello"


@pytest.mark.integration
def test_run_through_worker_completes_and_logs_export(prefect_server, prefect_worker, tmp_path):
    full_name = _register_hello(prefect_server.api_url, prefect_worker.pool)
    with prefect_client(prefect_server.api_url) as client:
        run_id = trigger_run(client, full_name, {"greeting": "bonjour"},
                             idempotency_key="hello-1")
        again = trigger_run(client, full_name, {"greeting": "bonjour"},
                            idempotency_key="hello-1")
        outcome = wait_for_run(client, run_id, timeout=180)
        written = export_logs(client, run_id, tmp_path / "prefect.log")

    assert again == run_id
    assert outcome.state == "Completed", outcome
    assert outcome.exit_code == 0
    text = (tmp_path / "prefect.log").read_text()
    assert written == len(text.splitlines())
    assert "| INFO     | " in text
    assert "bonjour from the test worker" in text
    assert text.index("bonjour from the test worker") < text.index("second line")
    assert "| WARNING  | " in text


@pytest.mark.integration
def test_hotpass_run_wait_exits_0_on_completed(prefect_server, prefect_worker, capsys):
    full_name = _register_hello(prefect_server.api_url, prefect_worker.pool)
    code = main(["run", full_name, "--params", '{"greeting": "hi"}', "--wait", "--timeout",
                 "180", "--api-url", prefect_server.api_url, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["deployment"] == full_name
    assert document["outcome"]["state"] == "Completed"
