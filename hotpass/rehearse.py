"""The staging rehearsal (design §5): QA preflight, plan then apply the `prefect/staging`
overlay, trigger the backfill deployment with `since`, wait for it and its child runs, then
export `dist/staging/backfill/<UTC timestamp>/` — prefect.log, summary.json (guardrails), cli.sh,
cli.log, SHA256SUMS. Without a staging URL a local server and worker are started and stopped."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotpass.bundles.finish import finish_bundle
from hotpass.bundles.masking import mask_url
from hotpass.bundles.steps import Renderer, json_renderer, run_step
from hotpass.bundles.summary import SummaryBuilder
from hotpass.bundles.transcript import StepOutput, StepRecord, Transcript, iso, utc_now
from hotpass.paths import DEFAULT_HOME


@dataclass(frozen=True)
class RehearsalRequest:
    since: str | None = None  # ISO date; default a week back (the backfill's weekly window)
    api_url: str | None = None  # the staging server; None starts a local one
    manifest_dir: Path = Path("prefect/staging")
    deployment: str = "backfill"
    bundle_root: Path = Path("dist/staging/backfill")
    home: Path = DEFAULT_HOME
    timeout: float = 900.0
    rerun: str = "all"  # a rehearsal rebuilds the window; earlier runs get new attempts
    parameters: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    render: Renderer = json_renderer

    @property
    def since_date(self) -> str:
        return self.since or (datetime.now(UTC).date() - timedelta(days=6)).isoformat()


@dataclass
class RehearsalResult:
    bundle_dir: Path
    summary: dict[str, Any]
    steps: tuple[StepRecord, ...] = ()

    @property
    def exit_code(self) -> int:
        failed = next((s for s in self.steps if not s.ok), None)
        if failed is not None:
            return failed.exit_code
        return 1 if self.summary["status"] == "failed" else 0

    def to_json(self) -> dict[str, Any]:
        return {"bundle": self.bundle_dir.as_posix(), "status": self.summary["status"],
                "failed_step": self.summary["failed_step"],
                "guardrails": self.summary.get("guardrails", []),
                "steps": [s.to_json() for s in self.steps]}


@dataclass
class _Context:
    request: RehearsalRequest
    transcript: Transcript
    bundle: Path
    api_url: str | None = None
    flow_run_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    cleanup: list[Callable[[], None]] = field(default_factory=list)


def resolve_staging_url(explicit: str | None, configured: str | None,
                        env_file: Path) -> str | None:
    """The explicit URL (--api-url), else the configured one (rehearse.api_url), else
    PREFECT_API_URL from `env_file` when it exists; None means rehearse on a local server.
    Raises UsageError when the chosen URL is not a one-line http(s) URL."""
    from hotpass.envfile import read_env_file, validate_url

    url = explicit or configured
    if not url and env_file.is_file():
        url = read_env_file(env_file).get("PREFECT_API_URL")
    return validate_url(url, name="--api-url") if url else None


def bundle_dir_for(root: Path, moment: datetime) -> Path:
    return root / moment.strftime("%Y%m%dT%H%M%SZ")


def run_rehearsal(request: RehearsalRequest) -> RehearsalResult:
    started = utc_now()
    bundle = bundle_dir_for(request.bundle_root, started)
    bundle.mkdir(parents=True, exist_ok=False)
    ctx = _Context(request, Transcript(bundle, secrets=request.secrets,
                                       title="hotpass staging rehearsal"), bundle,
                   api_url=request.api_url)
    interrupted = False
    try:
        for _name, step in _steps(ctx):
            if not step():
                break
    except KeyboardInterrupt:
        interrupted = True
        ctx.transcript.mark_interrupted()
    finally:
        for stop in reversed(ctx.cleanup):
            stop()
    result = _finish(ctx, iso(started))
    if interrupted:
        raise KeyboardInterrupt
    return result


def _steps(ctx: _Context) -> list[tuple[str, Callable[[], bool]]]:
    local = ctx.request.api_url is None
    steps = [("server", lambda: _start_server(ctx))] if local else []
    steps += [("qa", lambda: _qa(ctx)), ("plan", lambda: _deploy(ctx, dry_run=True)),
              ("apply", lambda: _deploy(ctx, dry_run=False))]
    if local:
        steps.append(("worker", lambda: _start_workers(ctx)))
    steps += [("trigger", lambda: _trigger(ctx)), ("collect", lambda: _collect(ctx))]
    return steps


def _api_flag(ctx: _Context) -> list[str]:
    return ["--api-url", mask_url(ctx.request.api_url)] if ctx.request.api_url else []


def _start_server(ctx: _Context) -> bool:
    from hotpass.prefect_local.server import start_server, stop_server

    def call() -> Any:
        handle = start_server(ctx.request.home)
        ctx.api_url = handle.api_url
        if not handle.reused:
            ctx.cleanup.append(lambda: _record_stop(ctx, "server-stop", ["hotpass", "server",
                               "stop", "--home", str(ctx.request.home)],
                               lambda: stop_server(handle)))
        return handle

    command = ["hotpass", "server", "start", "--home", str(ctx.request.home)]
    return run_step(ctx.transcript, "server-start", command, call, ctx.request.render).ok


def _pools(ctx: _Context) -> list[str]:
    from hotpass.manifests import load_manifest_set

    specs = load_manifest_set(ctx.request.manifest_dir, check_flows=False).specs
    return sorted({s.work_pool for s in specs if s.work_pool})


def _start_workers(ctx: _Context) -> bool:
    from hotpass.prefect_local.worker import start_worker, stop_worker

    for pool in _pools(ctx):
        def call(pool: str = pool) -> Any:
            assert ctx.api_url is not None
            handle = start_worker(ctx.api_url, pool, limit=None, home=ctx.request.home)
            ctx.cleanup.append(lambda: _record_stop(
                ctx, "worker-stop", ["hotpass", "worker", "stop", "--pool", pool, "--home",
                                     str(ctx.request.home)], lambda: stop_worker(handle)))
            return handle

        command = ["hotpass", "worker", "start", "--pool", pool, "--home", str(ctx.request.home)]
        if not run_step(ctx.transcript, "worker-start", command, call, ctx.request.render).ok:
            return False
    return True


def _record_stop(ctx: _Context, name: str, command: list[str], stop: Callable[[], Any]) -> None:
    def call() -> StepOutput:
        outcome = stop()
        return StepOutput(0, str(getattr(outcome, "message", f"{name}: {outcome}")))

    ctx.transcript.run(name, command, call)


def _qa(ctx: _Context) -> bool:
    from hotpass.qa.runner import QaRequest, run_qa

    qa = QaRequest(suites=("manifests",), manifest_dir=ctx.request.manifest_dir,
                   output=ctx.bundle / "qa-report.json", data_docs=None)
    command = ["hotpass", "qa", "manifests", "--manifest-dir", str(ctx.request.manifest_dir),
               "--output", str(qa.output)]
    record = run_step(ctx.transcript, "qa", command, lambda: run_qa(qa), ctx.request.render)
    ctx.evidence["qa"] = record.data.get("result")
    return record.ok


def _deploy(ctx: _Context, *, dry_run: bool) -> bool:
    from hotpass.deploy.service import DeployRequest, run_deploy

    deploy = DeployRequest(manifest_dir=ctx.request.manifest_dir, dry_run=dry_run,
                           api_url=ctx.api_url)
    command = ["hotpass", "deploy", "--manifest-dir", str(ctx.request.manifest_dir),
               *(["--dry-run"] if dry_run else []), *_api_flag(ctx)]
    name = "deploy-plan" if dry_run else "deploy-apply"
    return run_step(ctx.transcript, name, command, lambda: run_deploy(deploy),
                    ctx.request.render).ok


def _trigger(ctx: _Context) -> bool:
    from hotpass.prefect_local.runs import launch

    params = {"since": ctx.request.since_date, "rerun": ctx.request.rerun,
              **ctx.request.parameters}
    ctx.evidence["parameters"] = params

    def call() -> Any:
        result = launch(ctx.request.deployment, params, wait=True, timeout=ctx.request.timeout,
                        api_url=ctx.api_url, manifest_dir=ctx.request.manifest_dir)
        ctx.flow_run_id = result.flow_run_id
        ctx.evidence["deployment"] = result.deployment
        return result

    command = ["hotpass", "run", ctx.request.deployment, "--manifest-dir",
               str(ctx.request.manifest_dir), "--params", json.dumps(params, sort_keys=True),
               "--wait", "--timeout", f"{ctx.request.timeout:g}", *_api_flag(ctx)]
    record = run_step(ctx.transcript, "run-backfill", command, call, ctx.request.render)
    return ctx.flow_run_id is not None or record.ok


def _collect(ctx: _Context) -> bool:
    """Logs from the API and the flow runs' evidence (runs even when the backfill failed)."""
    from hotpass.bundles.flowruns import collect_flow_runs, export_run_logs
    from hotpass.prefect_local.client import prefect_client

    run_id = ctx.flow_run_id
    if run_id is None:
        return False

    def call() -> Any:
        dest = ctx.bundle / "prefect.log"
        with prefect_client(ctx.api_url) as client:
            runs = collect_flow_runs(client, run_id)
            ctx.evidence["runs"] = runs
            lines = export_run_logs(client, [r["id"] for r in runs], dest,
                                    ctx.request.secrets)
        return StepOutput(0, f"exported {lines} log entries of flow run {run_id} and its "
                          f"{len(runs) - 1} child run(s) to {dest.as_posix()}")

    ctx.transcript.run("export-logs", [], call)
    return True


def _finish(ctx: _Context, started: str) -> RehearsalResult:
    from hotpass.bundles.flowruns import fill_rehearsal

    builder = SummaryBuilder(kind="rehearsal", started_at=started, secrets=ctx.request.secrets)
    fill_rehearsal(builder, _backfill_parameters(ctx), ctx.evidence,
                   api_url=mask_url(ctx.api_url) if ctx.api_url else None,
                   local=ctx.request.api_url is None)
    summary = finish_bundle(ctx.bundle, ctx.transcript, builder)
    return RehearsalResult(ctx.bundle, summary, tuple(ctx.transcript.steps))


def _backfill_parameters(ctx: _Context) -> dict[str, Any]:
    """The backfill deployment's parameters as the run received them (manifest + overrides)."""
    from hotpass.errors import HotpassError
    from hotpass.manifests import load_manifest_set

    try:
        specs = load_manifest_set(ctx.request.manifest_dir, check_flows=False).specs
    except HotpassError:
        return dict(ctx.evidence.get("parameters", {}))
    spec = next((s for s in specs if s.id == ctx.request.deployment), None)
    base = dict(spec.parameters) if spec else {}
    if spec is not None and spec.concurrency_limit is not None:
        base["_deployment_concurrency_limit"] = spec.concurrency_limit
    return {**base, **ctx.evidence.get("parameters", {})}
