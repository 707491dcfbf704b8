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

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hotpass.backfill.counts import output_counts
from hotpass.backfill.runs import RunOutcome, RunSpec, failed_outcome, restore
from hotpass.backfill.slot import GLOBAL_LIMIT, slot_times
from hotpass.backfill.state import utc_now
from hotpass.errors import HotpassError, PrefectUnavailable, UsageError

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


@contextmanager
def _api(api_url: str | None) -> Iterator[None]:
    if not api_url:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield


def _client() -> SyncPrefectClient:
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def prepare(target: PrefectTarget, concurrency: int) -> tuple[str, str, int]:
    """Find the deployment and its online workers, and set the global limit.

    Returns (deployment id, work pool, online workers); raises NoWorkersOnline when none."""
    with _api(target.api_url), _prefect_errors(), _client() as client:
        deployment = _deployment(client, target.deployment)
        pool = deployment.work_pool_name
        if not pool:
            raise NoWorkersOnline(f"deployment {target.deployment!r} has no work pool")
        online = _online_workers(client, pool)
        if not online:
            raise NoWorkersOnline(f"no worker is online in work pool {pool!r}")
        client.upsert_global_concurrency_limit_by_name(GLOBAL_LIMIT, concurrency)
        return str(deployment.id), pool, online


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


@contextmanager
def _prefect_errors() -> Iterator[None]:
    import httpx

    try:
        yield
    except (httpx.HTTPError, OSError) as exc:
        raise PrefectUnavailable(f"the Prefect API did not answer: {exc}",
                                 hint="check PREFECT_API_URL and `hotpass server status`") from None


def run_via_prefect(specs: Sequence[RunSpec], *, target: PrefectTarget, deployment_id: str,
                    concurrency: int, on_outcome: OnOutcome, hooks: Hooks) -> list[RunOutcome]:
    """Run `specs` as child flow runs, `concurrency + prefetch` in flight, each child holding a
    `hotpass:backfill` slot (at most `concurrency`) around its work; see the module docstring.
    `deployment_id` is the refinement deployment `prepare` found."""
    ahead = max(1, concurrency) + max(0, concurrency if target.prefetch is None
                                      else target.prefetch)
    queue, outcomes = list(specs), []
    in_flight: dict[UUID, _InFlight] = {}

    def report(outcome: RunOutcome) -> None:
        on_outcome(outcome)
        outcomes.append(outcome)

    with _api(target.api_url), _client() as client:
        poller = _Poller(client, target)
        while queue or in_flight:
            while queue and len(in_flight) < ahead:
                started = _start(client, queue.pop(0), deployment_id, target, hooks)
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


def _start(client: SyncPrefectClient, spec: RunSpec, deployment_id: str,
           target: PrefectTarget, hooks: Hooks) -> _InFlight | RunOutcome:
    """Re-attach the child a killed backfill submitted, or restore the run and submit it."""
    submitted_at = utc_now()
    try:
        flow_run = _attached(client, spec)
        if flow_run is None:
            restore(spec)
            flow_run = _submit(spec, deployment_id)
            hooks.submitted(spec, str(flow_run.id))
    except HotpassError as exc:
        return failed_outcome(spec, exc.message, executor="prefect", started_at=submitted_at)
    except Exception as exc:  # an API error fails this run only; it is recorded, not retried
        return failed_outcome(spec, f"{type(exc).__name__}: {exc}", executor="prefect",
                              started_at=submitted_at)
    return _InFlight(spec, flow_run, submitted_at, time.monotonic() + target.run_timeout)


def release_stale_leases(target: PrefectTarget, lease_ids: Sequence[str]) -> None:
    """Give back the slots held by a killed backfill whose state file was written when the
    parent itself held the slots (children hold them now and give them back themselves), so a
    resume need not wait for them to expire. An expired or released lease is ignored."""
    if not lease_ids:
        return
    from uuid import UUID

    from prefect.concurrency._sync import release_concurrency_slots_with_lease

    with _api(target.api_url):
        for lease_id in lease_ids:
            try:
                release_concurrency_slots_with_lease(UUID(lease_id))
            except Exception:  # gone already: nothing to give back
                continue


def cancel_unfinished(target: PrefectTarget, flow_run_ids: Sequence[str]) -> list[str]:
    """Cancel child runs a killed backfill had submitted, before they are redone locally (so a
    worker coming back cannot run them a second time). Returns the ids it cancelled."""
    if not flow_run_ids:
        return []
    from uuid import UUID

    from prefect.states import Cancelled

    cancelled = []
    with _api(target.api_url), _prefect_errors(), _client() as client:
        for flow_run_id in flow_run_ids:
            flow_run = client.read_flow_run(UUID(flow_run_id))
            if flow_run.state is None or not flow_run.state.is_final():
                client.set_flow_run_state(flow_run.id, Cancelled(
                    message="the backfill ran this locally: no worker was online"), force=True)
                cancelled.append(flow_run_id)
    return cancelled


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


def _submit(spec: RunSpec, deployment_id: str) -> FlowRun:
    """Create the child run; inside a flow run, Prefect links it to that run as its child."""
    from prefect.client.schemas.objects import FlowRun as FlowRunModel
    from prefect.deployments import run_deployment

    flow_run = run_deployment(
        deployment_id, parameters=child_parameters(spec), timeout=0,
        flow_run_name=f"backfill-{spec.label}", idempotency_key=spec.idempotency_key,
        tags=["hotpass-backfill", f"backfill:{spec.backfill_id}"])
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
