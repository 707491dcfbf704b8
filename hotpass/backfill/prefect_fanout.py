"""Run backfill runs as child flow runs of the refinement deployment, spread over the work pool.

Each run is restored here (workers share this file system), then submitted with the idempotency
key `<backfill-id>/<date>/<version>` (linked to the current flow run, when there is one, as its
child). Children are submitted ahead of the cap — up to `concurrency + prefetch` in flight — so
a child's start-up (worker poll, a new interpreter importing Prefect) overlaps other children's
work; the cap itself is held inside each child around its refinement work: one slot of the
global concurrency limit `hotpass:backfill` (set here to the concurrency; see
hotpass.backfill.slot). A run already submitted by a killed backfill is re-attached by its flow
run id and never submitted twice."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hotpass.backfill.counts import output_counts
from hotpass.backfill.prefect_api import sync_client
from hotpass.backfill.runs import RunOutcome, RunSpec, failed_outcome, restore
from hotpass.backfill.slot import GLOBAL_LIMIT, slot_times
from hotpass.backfill.state import utc_now
from hotpass.errors import HotpassError, UsageError

if TYPE_CHECKING:
    from uuid import UUID

    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

REFINEMENT_DEPLOYMENT = "hotpass-refinement-pipeline/hotpass-refinement"
POLL_FAILURES_TOLERATED = 5  # consecutive failed status reads before in-flight runs are failed

OnOutcome = Callable[[RunOutcome], None]


@dataclass(frozen=True)
class Hooks:
    """Called as soon as a child is submitted, so the state file records its flow run id."""

    submitted: Callable[[RunSpec, str], None]  # the child flow run id


class NoWorkersOnline(HotpassError):
    """The deployment's work pool has no online worker (the caller falls back to local runs)."""


@dataclass(frozen=True)
class PrefectTarget:
    api_url: str | None = None
    deployment: str = REFINEMENT_DEPLOYMENT
    poll_seconds: float = 0.5
    run_timeout: float = 3600.0  # from submission to a final state
    prefetch: int | None = None  # children in flight beyond the concurrency; None: concurrency


@dataclass(frozen=True)
class Fanout:
    """What `prepare` found: the refinement deployment, its work pool, the pool's online
    workers, and the job variables each child is submitted with."""

    deployment_id: str
    pool: str
    online: int
    job_variables: Mapping[str, Any] = field(default_factory=dict)


def prepare(target: PrefectTarget, concurrency: int) -> Fanout:
    """Find the deployment and its online workers, and set the global limit.

    Raises NoWorkersOnline when no worker is online in the deployment's pool."""
    from hotpass.prefect_local.client import prefect_client

    with prefect_client(target.api_url) as client:
        deployment = _deployment(client, target.deployment)
        pool = deployment.work_pool_name
        if not pool:
            raise NoWorkersOnline(f"deployment {target.deployment!r} has no work pool")
        online = _online_workers(client, pool)
        if not online:
            raise NoWorkersOnline(f"no worker is online in work pool {pool!r}")
        client.upsert_global_concurrency_limit_by_name(GLOBAL_LIMIT, concurrency)
        variables = child_job_variables(client.read_work_pool(pool), deployment.job_variables)
        return Fanout(str(deployment.id), pool, online, variables)


def engine_command() -> str:
    """The command a process worker runs for a child: this interpreter's flow engine, forked
    from the worker's preloaded engine server when it has one (`hotpass.prefect_local.zygote`),
    otherwise started directly."""
    from prefect.utilities.processutils import command_to_string

    return command_to_string([sys.executable, "-m", "hotpass.prefect_local.engine_start"])


def child_job_variables(work_pool: Any, deployment_variables: Mapping[str, Any] | None,
                        ) -> dict[str, Any]:
    """On a process pool where neither the pool nor the deployment chose a command, children
    run `engine_command()` directly. Left to itself a Prefect 3.8 process worker starts a
    workspace supervisor, a first interpreter importing Prefect (~1.5 s of CPU), which then
    execs the engine in a second one; a backfill pays that once per child, on the same cores
    as the runs' work. Workers share this file system, so this interpreter is theirs too."""
    if getattr(work_pool, "type", None) != "process" or "command" in (deployment_variables or {}):
        return {}
    template = getattr(work_pool, "base_job_template", None) or {}
    command = template.get("variables", {}).get("properties", {}).get("command", {})
    if command.get("default"):
        return {}
    return {"command": engine_command()}


def _online_workers(client: SyncPrefectClient, pool: str) -> int:
    from prefect.exceptions import ObjectNotFound

    try:
        workers = client.read_workers_for_work_pool(pool)
    except ObjectNotFound:  # the pool was never created: nobody can be polling it
        return 0
    return sum(1 for w in workers if str(getattr(w.status, "value", w.status)).upper() == "ONLINE")


def _deployment(client: SyncPrefectClient, name: str) -> Any:
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        raise UsageError(f"deployment {name!r} is not registered on the Prefect server",
                         hint="register it with `hotpass deploy --flow refinement`") from None


def run_via_prefect(specs: Sequence[RunSpec], *, target: PrefectTarget, fanout: Fanout,
                    concurrency: int, on_outcome: OnOutcome, hooks: Hooks) -> list[RunOutcome]:
    """Run `specs` as child flow runs of the deployment `prepare` found (`fanout`),
    `concurrency + prefetch` in flight, each child holding a `hotpass:backfill` slot (at most
    `concurrency`) around its work; see the module docstring."""
    ahead = max(1, concurrency) + max(0, concurrency if target.prefetch is None
                                      else target.prefetch)
    queue, outcomes = list(specs), []
    in_flight: dict[UUID, _InFlight] = {}

    def report(outcome: RunOutcome) -> None:
        on_outcome(outcome)
        outcomes.append(outcome)

    with sync_client(target.api_url) as client:
        poller = _Poller(client, target)
        while queue or in_flight:
            while queue and len(in_flight) < ahead:
                started = _start(client, queue.pop(0), fanout, target, hooks)
                if isinstance(started, RunOutcome):
                    report(started)
                else:
                    in_flight[started.flow_run.id] = started
            for outcome in poller.finished(in_flight):
                report(outcome)
    return outcomes


@dataclass(frozen=True)
class _InFlight:
    spec: RunSpec
    flow_run: FlowRun
    submitted_at: str
    deadline: float


class _Poller:
    """Reads the state of every in-flight child in one call and turns the final ones into
    outcomes (removing them from `in_flight`)."""

    def __init__(self, client: SyncPrefectClient, target: PrefectTarget) -> None:
        self._client, self._target, self._failures = client, target, 0

    def finished(self, in_flight: dict[UUID, _InFlight]) -> list[RunOutcome]:
        if not in_flight:
            return []
        time.sleep(self._target.poll_seconds)
        try:
            runs = _read_flow_runs(self._client, list(in_flight))
            self._failures = 0
        except Exception as exc:  # transient API trouble: retried, then the runs fail
            self._failures += 1
            if self._failures < POLL_FAILURES_TOLERATED:
                return []
            return [_failed(in_flight.pop(key), f"{type(exc).__name__}: {exc}")
                    for key in list(in_flight)]
        done: list[RunOutcome] = []
        for key, run in list(in_flight.items()):
            flow_run = runs.get(key, run.flow_run)
            if flow_run.state and flow_run.state.is_final():
                done.append(_outcome(in_flight.pop(key), flow_run))
            elif time.monotonic() > run.deadline:
                done.append(_failed(in_flight.pop(key), (
                    f"flow run {flow_run.name} ({flow_run.id}) did not finish within "
                    f"{self._target.run_timeout:.0f} s")))
        return done


def _read_flow_runs(client: SyncPrefectClient, ids: list[UUID]) -> dict[UUID, FlowRun]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                                 limit=len(ids))
    return {run.id: run for run in runs}


def _start(client: SyncPrefectClient, spec: RunSpec, fanout: Fanout,
           target: PrefectTarget, hooks: Hooks) -> _InFlight | RunOutcome:
    """Re-attach the child a killed backfill submitted, or restore the run and submit it."""
    submitted_at = utc_now()
    try:
        flow_run = _attached(client, spec)
        if flow_run is None:
            restore(spec)
            flow_run = _submit(spec, fanout)
            hooks.submitted(spec, str(flow_run.id))
    except HotpassError as exc:
        return failed_outcome(spec, exc.message, executor="prefect", started_at=submitted_at)
    except Exception as exc:  # an API error fails this run only; it is recorded, not retried
        return failed_outcome(spec, f"{type(exc).__name__}: {exc}", executor="prefect",
                              started_at=submitted_at)
    return _InFlight(spec, flow_run, submitted_at, time.monotonic() + target.run_timeout)


def _attached(client: SyncPrefectClient, spec: RunSpec) -> FlowRun | None:
    """The flow run a killed backfill already submitted for `spec`, if the server knows it.

    Its restore folder is in use by that run, so it is neither re-extracted nor re-submitted."""
    if not spec.flow_run_id:
        return None
    from uuid import UUID

    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_flow_run(UUID(spec.flow_run_id))
    except (ObjectNotFound, ValueError):
        return None


def _submit(spec: RunSpec, fanout: Fanout) -> FlowRun:
    """Create the child run; inside a flow run, Prefect links it to that run as its child."""
    from prefect.client.schemas.objects import FlowRun as FlowRunModel
    from prefect.deployments import run_deployment

    flow_run = run_deployment(
        fanout.deployment_id, parameters=child_parameters(spec), timeout=0,
        flow_run_name=f"backfill-{spec.label}", idempotency_key=spec.idempotency_key,
        tags=["hotpass-backfill", f"backfill:{spec.backfill_id}"],
        job_variables=dict(fanout.job_variables) or None)
    if not isinstance(flow_run, FlowRunModel):  # an event loop here would make it a coroutine
        raise HotpassError("child runs must be submitted from synchronous code")
    return flow_run


def child_parameters(spec: RunSpec) -> dict[str, Any]:
    """The refinement flow's parameters for one run (design §3)."""
    return {"input_dir": spec.restore_dir, "output_path": spec.output_path,
            "profile_name": spec.profile_name, "archive": spec.archive,
            "backfill": True, "incremental": False, "since": None}


def _failed(run: _InFlight, error: str) -> RunOutcome:
    return failed_outcome(run.spec, error, executor="prefect", started_at=run.submitted_at,
                          flow_run_id=str(run.flow_run.id))


def _outcome(run: _InFlight, flow_run: FlowRun) -> RunOutcome:
    """The child's outcome, timed by the slot it held (its labels) or else its run times."""
    spec, state = run.spec, flow_run.state
    completed = bool(state and state.is_completed())
    error = None if completed else (
        f"flow run {flow_run.name} ended {state.type.value if state else 'unknown'}"
        f"{': ' + state.message if state and state.message else ''}")
    counts = output_counts(spec.output_path) if completed else {}
    start, end, seconds = _times(run, flow_run)
    return RunOutcome(run_date=spec.run_date, version=spec.version,
                      status="completed" if completed else "failed", started_at=start,
                      finished_at=end, seconds=seconds, executor="prefect", error=error,
                      flow_run_id=str(flow_run.id), **counts)


def _times(run: _InFlight, flow_run: FlowRun) -> tuple[str, str, float]:
    held = slot_times(flow_run.labels)
    if held is not None:
        start, end = held
        seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        return start, end, round(max(seconds, 0.0), 3)
    # no slot recorded (the child failed before its work, or an older child): its run times
    start = flow_run.start_time.isoformat() if flow_run.start_time else run.submitted_at
    end = flow_run.end_time.isoformat() if flow_run.end_time else utc_now()
    return start, end, round(flow_run.total_run_time.total_seconds(), 3)
