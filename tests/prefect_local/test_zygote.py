"""The preloaded engine server and its client, with a stand-in engine module (the real
`prefect.engine` path is covered by the backfill integration tests): what the forked process
receives, exit codes, signals, a vanished client, and when the server declines."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotpass.prefect_local.engine_start import HEADER

FAKE_ENGINE = """
import json, os, sys, time
import fake_lib
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "pid": os.getpid(),
                  "marker": os.environ.get("FAKE_MARKER"), "lib": fake_lib.VERSION}), flush=True)
if sys.argv[1:] == ["sleep"]:
    time.sleep(60)
if sys.argv[1:] == ["stubborn"]:
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(60)
if sys.argv[1:] == ["die"]:
    import signal
    os.kill(os.getpid(), signal.SIGKILL)
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""


@dataclass
class EngineServer:
    socket: str
    code_dir: Path
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def client(self, *args: str, cwd: Path, extra_env: dict[str, str] | None = None,
               ) -> subprocess.Popen[str]:
        env = {**self.env, "HOTPASS_ENGINE_SOCKET": self.socket, **(extra_env or {})}
        return subprocess.Popen([sys.executable, "-m", "hotpass.prefect_local.engine_start",
                                 *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")


def _wait_for(condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def engine_server(tmp_path: Path) -> Iterator[EngineServer]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "fake_engine.py").write_text(FAKE_ENGINE, encoding="utf-8")
    (code / "fake_lib.py").write_text("VERSION = 1\n", encoding="utf-8")
    socket_dir = tempfile.mkdtemp(prefix="hotpass-test-engine-")  # Unix socket paths are short
    socket_path = os.path.join(socket_dir, "engine.sock")
    env = {**os.environ, "PYTHONPATH": str(code)}
    log = tmp_path / "engine.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hotpass.prefect_local.zygote", "--socket", socket_path,
             "--preload", "fake_lib", "--run-module", "fake_engine"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    server = EngineServer(socket_path, code, log, env, process)
    try:
        _wait_for(lambda: "ready on" in server.log_text())
        yield server
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(socket_dir, ignore_errors=True)


def _report(client: subprocess.Popen[str]) -> dict[str, object]:
    assert client.stdout is not None
    report: dict[str, object] = json.loads(client.stdout.readline())
    return report


def test_forked_run_gets_the_clients_arguments_directory_environment_and_exit_code(
        engine_server: EngineServer, tmp_path: Path) -> None:
    client = engine_server.client("report", "x", cwd=tmp_path,
                                  extra_env={"FAKE_MARKER": "m-1", "FAKE_EXIT": "3"})
    report = _report(client)

    assert client.wait(timeout=30) == 3
    assert report["argv"] == ["report", "x"]
    assert report["cwd"] == str(tmp_path)
    assert report["marker"] == "m-1"
    assert report["pid"] != client.pid  # forked by the server, not run in the client
    assert f"forked as pid {report['pid']}" in engine_server.log_text()


def test_sigterm_to_the_client_reaches_the_flow_run(engine_server: EngineServer,
                                                    tmp_path: Path) -> None:
    client = engine_server.client("sleep", cwd=tmp_path)
    pid = int(str(_report(client)["pid"]))
    client.send_signal(signal.SIGTERM)

    assert client.wait(timeout=30) == -signal.SIGTERM  # as if it had been the flow run
    _wait_for(lambda: not _alive(pid))


def test_a_run_killed_by_a_signal_ends_its_client_with_that_signal(
        engine_server: EngineServer, tmp_path: Path) -> None:
    client = engine_server.client("die", cwd=tmp_path)

    assert client.wait(timeout=30) == -signal.SIGKILL


def test_a_killed_client_takes_its_flow_run_with_it(engine_server: EngineServer,
                                                    tmp_path: Path) -> None:
    client = engine_server.client("sleep", cwd=tmp_path)
    pid = int(str(_report(client)["pid"]))
    client.kill()
    client.wait(timeout=30)

    _wait_for(lambda: not _alive(pid))


def test_a_vanished_client_takes_even_a_stubborn_flow_run_with_it(
        engine_server: EngineServer, tmp_path: Path) -> None:
    client = engine_server.client("stubborn", cwd=tmp_path)
    pid = int(str(_report(client)["pid"]))
    client.kill()
    client.wait(timeout=30)

    _wait_for(lambda: not _alive(pid))  # SIGTERM ignored: SIGKILL after a short grace


def test_bad_connections_are_refused_and_the_server_keeps_serving(
        engine_server: EngineServer, tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as empty:
        empty.connect(engine_server.socket)
    read_end, write_end = os.pipe()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as truncated:
        truncated.connect(engine_server.socket)
        socket.send_fds(truncated, [HEADER.pack(100)], [write_end] * 3)
        truncated.sendall(b"{")
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.read() == b""  # the server let go of the descriptors it was given

    client = engine_server.client("report", cwd=tmp_path)
    assert _report(client)["argv"] == ["report"]
    assert client.wait(timeout=30) == 0
    assert engine_server.log_text().count("refused a connection") == 2


@pytest.mark.parametrize("variable", ["PYTHONHASHSEED", "PREFECT_LOGGING_LEVEL",
                                      "POLARS_MAX_THREADS"])
def test_other_start_up_variables_are_declined_and_the_client_runs_the_engine_itself(
        engine_server: EngineServer, tmp_path: Path, variable: str) -> None:
    client = engine_server.client("not-a-flow-run-id", cwd=tmp_path,
                                  extra_env={variable: "DEBUG" if variable.startswith("PREFECT")
                                             else "7"})
    output, _ = client.communicate(timeout=120)

    assert client.returncode == 1
    assert "Invalid flow run id" in output  # prefect.engine's own message, from a new process
    assert "declined flow run" in engine_server.log_text()


def test_changed_preloaded_code_is_declined_then_preloaded_anew(engine_server: EngineServer,
                                                                tmp_path: Path) -> None:
    (engine_server.code_dir / "fake_lib.py").write_text("VERSION = 2\n", encoding="utf-8")
    os.utime(engine_server.code_dir / "fake_lib.py", (1, 1))
    declined = engine_server.client("not-a-flow-run-id", cwd=tmp_path)
    declined.communicate(timeout=120)
    _wait_for(lambda: engine_server.log_text().count("ready on") == 2)

    client = engine_server.client("report", cwd=tmp_path)

    assert _report(client)["lib"] == 2
    assert client.wait(timeout=30) == 0


def test_without_a_server_the_client_runs_the_engine_itself(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HOTPASS_ENGINE_SOCKET"}
    done = subprocess.run([sys.executable, "-m", "hotpass.prefect_local.engine_start",
                           "not-a-flow-run-id"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)

    assert done.returncode == 1
    assert "Invalid flow run id" in done.stdout + done.stderr


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
