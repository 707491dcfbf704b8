"""The local server: reuse of a running one, status, and stale state files (never signalling a
process hotpass did not start)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from hotpass.cli import main
from hotpass.prefect_local.process import free_port, is_our_process, write_state
from hotpass.prefect_local.server import (
    STATE_FILE,
    ServerHandle,
    _handle_from_state,
    api_url_for,
    is_healthy,
    running_server,
    server_status,
    start_server,
    stop_server,
)
from hotpass.prefect_local.worker import ENGINE_SERVER_MARKER, start_worker, stop_worker


@pytest.mark.integration
def test_starting_twice_reuses_the_running_server(prefect_server):
    again = start_server(prefect_server.home)
    assert again.reused
    assert (again.pid, again.api_url) == (prefect_server.pid, prefect_server.api_url)
    assert is_healthy(prefect_server.api_url)


@pytest.mark.integration
def test_status_reports_health_and_pools(prefect_server, capsys):
    status = server_status(prefect_server.api_url)
    assert status.healthy
    assert status.exit_code == 0
    code = main(["server", "status", "--home", str(prefect_server.home), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["healthy"] is True
    assert document["pid"] == prefect_server.pid


def test_stale_state_with_someone_elses_pid_is_removed_not_signalled(tmp_path):
    write_state(tmp_path / STATE_FILE, {"pid": os.getpid(), "port": free_port()})
    assert running_server(tmp_path) is None
    assert not (tmp_path / STATE_FILE).exists()
    write_state(tmp_path / STATE_FILE, {"pid": os.getpid(), "port": free_port()})
    result = stop_server(tmp_path)
    assert result.stopped is False
    assert not (tmp_path / STATE_FILE).exists()


def test_status_without_a_server_exits_3_with_the_start_hint(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    code = main(["server", "status", "--home", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 3
    assert "NOT reachable" in out
    assert "hotpass server start" in out


def test_stop_without_a_server_says_so(tmp_path, capsys):
    assert main(["server", "stop", "--home", str(tmp_path)]) == 0
    assert f"no server recorded under {tmp_path.resolve()}" in capsys.readouterr().out


def test_run_rejects_params_that_are_not_a_json_object(capsys):
    assert main(["run", "x/y", "--params", "[1, 2]"]) == 2
    assert "--params must be a JSON object" in capsys.readouterr().err


@pytest.mark.integration
def test_cli_start_reuses_and_worker_start_stop(prefect_server, tmp_path, capsys):
    assert main(["server", "start", "--home", str(prefect_server.home), "--json"]) == 0
    started = json.loads(capsys.readouterr().out)
    assert (started["reused"], started["pid"]) == (True, prefect_server.pid)

    pool = f"cli-pool-{os.getpid()}"
    home = tmp_path / "state"
    code = main(["worker", "start", "--pool", pool, "--limit", "1", "--home", str(home),
                 "--api-url", prefect_server.api_url, "--json"])
    worker = json.loads(capsys.readouterr().out)
    assert code == 0
    status = server_status(prefect_server.api_url)
    assert worker["name"] in status.workers_online
    assert is_our_process(worker["engine_server_pid"], ENGINE_SERVER_MARKER)
    assert main(["worker", "stop", "--home", str(home), "--json"]) == 0
    stopped = json.loads(capsys.readouterr().out)["stopped"]
    assert [w["pid"] for w in stopped] == [worker["pid"]]
    assert not list(home.glob("worker-*.json"))
    # its engine server went with it, and so did the server's socket folder
    assert not is_our_process(worker["engine_server_pid"], ENGINE_SERVER_MARKER)
    assert not Path(worker["engine_socket"]).parent.exists()


@pytest.mark.integration
def test_an_engine_server_stops_by_itself_once_its_worker_is_gone(prefect_server, tmp_path):
    handle = start_worker(prefect_server.api_url, f"orphan-pool-{os.getpid()}", limit=1,
                          home=tmp_path / "state", timeout=120)
    assert handle.engine_server_pid is not None
    os.killpg(handle.pid, signal.SIGKILL)  # the worker dies without stopping anything
    deadline = time.monotonic() + 30
    while is_our_process(handle.engine_server_pid, ENGINE_SERVER_MARKER):
        assert time.monotonic() < deadline, "the engine server outlived its worker"
        time.sleep(0.2)
    assert "is gone: stopping" in handle.engine_log_path.read_text(encoding="utf-8")
    stop_worker(handle)


@pytest.mark.parametrize(("host", "url"), [
    ("127.0.0.1", "http://127.0.0.1:4200/api"), ("0.0.0.0", "http://127.0.0.1:4200/api"),
    ("::", "http://127.0.0.1:4200/api"), ("localhost", "http://127.0.0.1:4200/api"),
    ("10.1.2.3", "http://10.1.2.3:4200/api"), ("fd00::7", "http://[fd00::7]:4200/api")])
def test_the_api_url_is_loopback_for_wildcard_hosts_else_the_host_itself(host, url):
    assert api_url_for(host, 4200) == url
    home = Path("/nonexistent")
    handle = ServerHandle(pid=1, port=4200, home=home, log_path=home / "server.log", host=host)
    assert handle.api_url == url
    assert _handle_from_state(home, handle.to_json()) == handle  # server.json keeps the host
