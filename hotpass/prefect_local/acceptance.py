"""`hotpass qa ta`, technical acceptance: on a throw-away local server and process worker (free
ports, state under the work dir), apply the shipped manifests, re-apply (must be unchanged), run
the refinement deployment on the sample data through the worker, check it completed and wrote its
workbook, export its logs, and stop everything it started."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.paths import DEFAULT_MANIFEST_DIR
from hotpass.qa.report import CheckResult

REFINEMENT_FLOW = "hotpass.orchestration:refinement_pipeline_flow"
RUN_TIMEOUT = 600.0


@dataclass
class AcceptanceResult:
    work_dir: Path
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 0 if self.checks and all(c.status == "pass" for c in self.checks) else 1

    def add(self, check_id: str, ok: bool, message: str,
            evidence: dict[str, Any] | None = None) -> bool:
        self.checks.append(CheckResult(check_id, "pass" if ok else "fail", message,
                                       evidence or {}))
        return ok

    def to_json(self) -> dict[str, Any]:
        return {"suite": "ta", "status": "pass" if self.exit_code == 0 else "fail",
                "work_dir": str(self.work_dir), "seconds": round(self.seconds, 1),
                "checks": [c.to_json() for c in self.checks]}


def run_technical_acceptance(repo_root: Path | None = None,
                             manifest_dir: Path = DEFAULT_MANIFEST_DIR,
                             data_dir: Path | None = None, work_dir: Path = Path("dist/qa-ta"),
                             ) -> AcceptanceResult:
    """Run every step, recording a check per step; later steps are skipped once one fails."""
    from hotpass.paths import PROJECT_ROOT

    root = (repo_root or PROJECT_ROOT).resolve()
    work = work_dir.resolve()
    _clear_previous(work)
    result = AcceptanceResult(work)
    started = time.monotonic()
    stack: list[Callable[[], object]] = []
    try:
        _steps(result, stack, (root / manifest_dir) if not manifest_dir.is_absolute()
               else manifest_dir, (data_dir or root / "data").resolve(), work)
    finally:
        for stop in reversed(stack):
            stop()
        result.seconds = time.monotonic() - started
    return result


def _clear_previous(work: Path) -> None:
    """Remove only what an earlier acceptance run left here (never the whole directory)."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "home", ignore_errors=True)
    for name in ("refined.xlsx", "prefect.log"):
        (work / name).unlink(missing_ok=True)


def _steps(result: AcceptanceResult, stack: list[Callable[[], object]], manifest_dir: Path,
           data_dir: Path, work: Path) -> None:
    from hotpass.prefect_local.server import start_server, stop_server

    try:
        server = start_server(work / "home", timeout=180)
    except HotpassError as exc:
        result.add("ta.server", False, exc.message)
        return
    stack.append(lambda: stop_server(server))
    result.add("ta.server", True, f"local server healthy at {server.api_url}", {"pid": server.pid})
    spec = _apply_twice(result, server.api_url, manifest_dir)
    if spec is None:
        return
    from hotpass.prefect_local.worker import start_worker, stop_worker

    try:
        worker = start_worker(server.api_url, spec.work_pool or "default", limit=1,
                              home=work / "home", cwd=work, timeout=120)
    except HotpassError as exc:
        result.add("ta.worker", False, exc.message)
        return
    stack.append(lambda: stop_worker(worker))
    result.add("ta.worker", True, f"process worker online on pool {worker.pool}",
               {"name": worker.name})
    _run_refinement(result, server.api_url, spec, data_dir, work)


def _apply_twice(result: AcceptanceResult, api_url: str, manifest_dir: Path) -> Any:
    """Apply the set, then again: the second apply must write nothing. Returns the refinement
    spec (None when a step failed)."""
    from hotpass.deploy.apply import apply_plan
    from hotpass.deploy.plan import plan_deployments
    from hotpass.manifests import load_manifest_set
    from hotpass.prefect_local.client import prefect_client

    try:
        specs = list(load_manifest_set(manifest_dir).specs)
        with prefect_client(api_url) as client:
            first = apply_plan(client, plan_deployments(client, specs, prune=False))
            second = plan_deployments(client, specs, prune=False)
    except HotpassError as exc:
        result.add("ta.deploy", False, exc.message)
        return None
    actions = {r.id: r.action for r in first.rows}
    result.add("ta.deploy", all(a == "create" for a in actions.values()),
               f"applied {len(actions)} manifests from {manifest_dir}",
               {"actions": actions, "work_pools_created": list(first.pools_created)})
    unchanged = second.count("unchanged") == len(specs)
    result.add("ta.redeploy", unchanged, "re-apply is unchanged (nothing written)" if unchanged
               else "re-apply would write again", second.to_json()["summary"])
    refinement = next((s for s in specs if s.flow == REFINEMENT_FLOW), None)
    if refinement is None:
        result.add("ta.run", False, f"no manifest in {manifest_dir} deploys {REFINEMENT_FLOW}")
    return refinement if unchanged else None


def _run_refinement(result: AcceptanceResult, api_url: str, spec: Any, data_dir: Path,
                    work: Path) -> None:
    from hotpass.deploy.plan import desired_state
    from hotpass.prefect_local.client import prefect_client
    from hotpass.prefect_local.logs import export_logs
    from hotpass.prefect_local.runs import trigger_run, wait_for_run

    output = work / "refined.xlsx"
    # The worker runs flows in a temp directory: every path parameter is made absolute.
    params = {"input_dir": str(data_dir), "output_path": str(output),
              "dist_dir": str(work / "dist")}
    full_name = desired_state(spec).full_name
    with prefect_client(api_url) as client:
        run_id = trigger_run(client, full_name, params, idempotency_key=f"qa-ta-{work}")
        outcome = wait_for_run(client, run_id, timeout=RUN_TIMEOUT)
        lines = export_logs(client, run_id, work / "prefect.log")
    result.add("ta.run", outcome.completed, f"{full_name} run {outcome.flow_run_name} ended "
               f"{outcome.state} in {outcome.duration:.0f}s", outcome.to_json())
    result.add("ta.output", output.is_file() and output.stat().st_size > 0,
               f"refined workbook {'written' if output.is_file() else 'missing'}: {output}")
    result.add("ta.logs", lines > 0, f"{lines} log lines exported to {work / 'prefect.log'}")
