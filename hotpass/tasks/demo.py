"""`make demo` (`python -m hotpass.tasks.demo`): the main job end to end on a local Prefect
server it starts and stops. An entry point like the Invoke tasks beside it: it calls the library
step by step and prints each result as the matching command would.

Steps: start the server and a worker, apply the manifests, run a refinement of the sample data
through the worker (archiving its inputs), run a staging-style rehearsal backfill over those
archives, run the offline fallback, stop what was started, and print where every artefact is.
The demo's own transcript and summary go to dist/demo/ (cli.log, cli.sh, summary.json,
SHA256SUMS)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.bundles.finish import finish_demo
from hotpass.bundles.masking import secrets_from_environ
from hotpass.bundles.steps import Renderer, prepare_bundle_dir, run_step
from hotpass.bundles.transcript import Transcript, iso, utc_now
from hotpass.errors import HotpassError
from hotpass.paths import DEFAULT_HOME, DEFAULT_MANIFEST_DIR

POOL = "hotpass-pool"
TIMEOUT = 600.0


@dataclass
class Demo:
    project_dir: Path
    render: Renderer
    transcript: Transcript
    secrets: tuple[str, ...]
    api_url: str | None = None
    stops: list[tuple[str, list[str], Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str, command: list[str], call: Any) -> bool:
        print(f"\n== {name}: {' '.join(command)}", flush=True)
        record = run_step(self.transcript, name, command, call, self.render)
        self.results[name] = record.data.get("result")
        if not record.ok:
            print(f"step {name} failed (exit {record.exit_code}): {record.message}", flush=True)
        return record.ok


def main(project_dir: Path) -> int:
    from hotpass.tasks._step_render import render_step, render_steps

    bundle = project_dir / "dist" / "demo"
    prepare_bundle_dir(bundle)
    started = iso(utc_now())
    secrets = tuple(secrets_from_environ(os.environ))
    demo = Demo(project_dir, _printing(render_step), Transcript(
        bundle, workdir=project_dir, secrets=secrets, title="hotpass demo"), secrets)
    try:
        for action in (_server, _worker, _apply, _refine, _rehearse, _offline):
            if not action(demo):
                break
    except KeyboardInterrupt:
        demo.transcript.mark_interrupted()
    finally:
        for name, command, stop in reversed(demo.stops):
            demo.step(name, command, lambda stop=stop: _Text(str(stop() or "")))
    summary = finish_demo(bundle, demo.transcript, started, input_dirs=[Path("data")],
                          offline=demo.results.get("offline"),
                          rehearsal=demo.results.get("rehearsal"))
    print("\n" + render_steps(demo.transcript.steps))
    print(_where(demo, summary))
    failed = demo.transcript.failed_step
    return failed.exit_code if failed else (1 if summary["status"] == "failed" else 0)


def _printing(render: Renderer) -> Renderer:
    """Render as the CLI would, and print it at once (nested steps show live progress)."""

    def printing(step: str, result: Any) -> str:
        from hotpass.tasks.offline import render_offline
        from hotpass.tasks.rehearse import render_rehearsal

        if step == "rehearsal":
            text = render_rehearsal(result)
        elif step == "offline":
            text = render_offline(result)
        else:
            text = render(step, result)
        print(f"-- {step}\n{text}", flush=True)
        return text

    return printing


def _server(demo: Demo) -> bool:
    from hotpass.prefect_local.server import start_server, stop_server

    def call() -> Any:
        handle = start_server(DEFAULT_HOME)
        demo.api_url = handle.api_url
        if not handle.reused:
            demo.stops.append(("server-stop", ["hotpass", "server", "stop"],
                               lambda: stop_server(handle).message))
        return _Text(f"Prefect server at {handle.api_url} (pid {handle.pid}"
                     f"{', reused' if handle.reused else ''})")

    return demo.step("server-start", ["hotpass", "server", "start"], call)


def _worker(demo: Demo) -> bool:
    from hotpass.prefect_local.worker import start_worker, stop_worker

    def call() -> Any:
        assert demo.api_url is not None
        handle = start_worker(demo.api_url, POOL, limit=None, home=DEFAULT_HOME,
                              cwd=demo.project_dir)
        demo.stops.append(("worker-stop", ["hotpass", "worker", "stop", "--pool", POOL],
                           lambda: f"stopped worker {handle.name}: {stop_worker(handle)}"))
        return _Text(f"worker {handle.name} online on pool {POOL} (pid {handle.pid})")

    return demo.step("worker-start", ["hotpass", "worker", "start", "--pool", POOL], call)


def _apply(demo: Demo) -> bool:
    from hotpass.deploy.service import DeployRequest, run_deploy

    request = DeployRequest(manifest_dir=DEFAULT_MANIFEST_DIR, api_url=demo.api_url)
    return demo.step("deploy-apply", ["hotpass", "deploy", "--manifest-dir", "prefect"],
                     lambda: run_deploy(request))


def _refine(demo: Demo) -> bool:
    from hotpass.prefect_local.runs import launch

    return demo.step("run-refinement", ["hotpass", "run", "refinement", "--wait", "--timeout",
                                        f"{TIMEOUT:g}"],
                     lambda: launch("refinement", None, wait=True, timeout=TIMEOUT,
                                    api_url=demo.api_url))


def _rehearse(demo: Demo) -> bool:
    from hotpass.rehearse import RehearsalRequest, run_rehearsal

    request = RehearsalRequest(api_url=None, home=DEFAULT_HOME, secrets=demo.secrets,
                               render=demo.render, timeout=TIMEOUT)
    return demo.step("rehearsal", ["invoke", "rehearse.staging", "--since", request.since_date],
                     lambda: run_rehearsal(request))


def _offline(demo: Demo) -> bool:
    from hotpass.offline import OfflineRequest, run_offline

    request = OfflineRequest(secrets=demo.secrets, render=demo.render)
    return demo.step("offline", ["invoke", "offline.run"], lambda: run_offline(request))


@dataclass(frozen=True)
class _Text:
    text: str
    exit_code: int = 0

    def render_text(self) -> str:
        return self.text


def _where(demo: Demo, summary: dict[str, Any]) -> str:
    lines = ["", f"demo {summary['status']}. Artefacts:",
             "  dist/refined.xlsx                 refinement run through the Prefect worker",
             "  dist/archive/                     archived inputs (hotpass-inputs-vN.zip)"]
    rehearsal = demo.results.get("rehearsal")
    if rehearsal is not None:
        lines.append(f"  {rehearsal.bundle_dir.as_posix()}/  rehearsal bundle (prefect.log, "
                     "summary.json, cli.sh, cli.log, SHA256SUMS)")
        lines.append("  dist/backfill/outputs/            backfill outputs per date and version")
    if demo.results.get("offline") is not None:
        lines.append("  dist/offline/                     offline bundle (replay: sh "
                     "dist/offline/cli.sh)")
    lines.append("  dist/demo/                        this demo's cli.log, cli.sh, summary.json")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main(Path.cwd()))
    except HotpassError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
