"""Run backfill runs as child flow runs of the refinement deployment, spread over the work pool.

Each run is restored here (workers share this file system), then submitted with the idempotency
key `<backfill-id>/<date>/<version>` while holding one slot of the global concurrency limit
`hotpass:backfill` (set to the concurrency; acquired with strict=True so a missing limit is an
error, not an unlimited run). A run already submitted by a killed backfill is re-attached by its
key and never submitted twice; the slots it held (leases recorded in the state file) are
given back first."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hotpass.backfill.counts import output_counts
from hotpass.backfill.runs import RunOutcome, RunSpec, failed_outcome, restore
from hotpass.backfill.state import utc_now
from hotpass.errors import HotpassError, PrefectUnavailable, UsageError

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

# The issue asks for `hotpass/backfill`, but Prefect 3.8 refuses '/' in limit names
# (pattern ^[^/%&><]+$); the ':' form mirrors Prefect's own `deployment:<id>` limits.
GLOBAL_LIMIT = "hotpass:backfill"
REFINEMENT_DEPLOYMENT = "hotpass-refinement-pipeline/hotpass-refinement"
LEASE_SECONDS = 60  # the server's minimum: a slot nobody gives back expires soonest

OnOutcome = Callable[[RunOutcome], None]


@dataclass(frozen=True)
class Hooks:
    """Called from the submitting threads so the state file can record them at once."""

    submitted: Callable[[RunSpec, str], None]  # the child flow run id
    leased: Callable[[RunSpec, str | None], None]  # the slot's lease id, None once released


class NoWorkersOnline(HotpassError):
    """The deployment's work pool has no online worker (the caller falls back to local runs)."""


@dataclass(frozen=True)
class PrefectTarget:
    api_url: str | None = None
    deployment: str = REFINEMENT_DEPLOYMENT
    poll_seconds: float = 0.5
    run_timeout: float = 3600.0


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
    """Run `specs` as child flow runs, at most `concurrency` at once; see the module docstring."""
    outcomes: list[RunOutcome] = []
    with _api(target.api_url), ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, _one, spec, target,
                               deployment_id, hooks) for spec in specs]
        for future in as_completed(futures):
            outcome = future.result()
            on_outcome(outcome)
            outcomes.append(outcome)
    return outcomes


def release_stale_leases(target: PrefectTarget, lease_ids: Sequence[str]) -> None:
    """Give back the slots a killed backfill still held, so a resume need not wait for them
    to expire. A lease that already expired or was released is ignored."""
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


def _one(spec: RunSpec, target: PrefectTarget, deployment_id: str, hooks: Hooks) -> RunOutcome:
    started_at, clock = utc_now(), time.perf_counter()
    try:
        with _client() as client, _slot(spec, hooks):
            flow_run = _attached(client, spec)
            if flow_run is None:
                restore(spec)
                flow_run = _submit(client, spec, deployment_id, hooks)
            flow_run = _wait(client, flow_run, target)
    except HotpassError as exc:
        return failed_outcome(spec, exc.message, executor="prefect", started_at=started_at,
                              seconds=time.perf_counter() - clock)
    except Exception as exc:  # an API error fails this run only; it is recorded, not retried
        return failed_outcome(spec, f"{type(exc).__name__}: {exc}", executor="prefect",
                              started_at=started_at, seconds=time.perf_counter() - clock)
    return _outcome(spec, flow_run, started_at, time.perf_counter() - clock)


@contextmanager
def _slot(spec: RunSpec, hooks: Hooks) -> Iterator[None]:
    """Hold one slot of GLOBAL_LIMIT (strict: a missing limit is an error) and record its lease
    so a resume after a kill can give it back."""
    from prefect.concurrency._leases import maintain_concurrency_lease
    from prefect.concurrency._sync import (
        acquire_concurrency_slots_with_lease,
        release_concurrency_slots_with_lease,
    )

    response = acquire_concurrency_slots_with_lease(
        [GLOBAL_LIMIT], 1, lease_duration=LEASE_SECONDS, strict=True)
    hooks.leased(spec, str(response.lease_id))
    try:
        with maintain_concurrency_lease(response.lease_id, LEASE_SECONDS):
            yield
    finally:
        release_concurrency_slots_with_lease(response.lease_id)
        hooks.leased(spec, None)


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


def _submit(client: SyncPrefectClient, spec: RunSpec, deployment_id: str,
            hooks: Hooks) -> FlowRun:
    from uuid import UUID

    flow_run = client.create_flow_run_from_deployment(
        UUID(deployment_id), parameters=child_parameters(spec), name=f"backfill-{spec.label}",
        idempotency_key=spec.idempotency_key,
        tags=["hotpass-backfill", f"backfill:{spec.backfill_id}"])
    hooks.submitted(spec, str(flow_run.id))
    return flow_run


def child_parameters(spec: RunSpec) -> dict[str, Any]:
    """The refinement flow's parameters for one run (design §3)."""
    return {"input_dir": spec.restore_dir, "output_path": spec.output_path,
            "profile_name": spec.profile_name, "archive": spec.archive,
            "backfill": True, "incremental": False, "since": None}


def _wait(client: SyncPrefectClient, flow_run: FlowRun, target: PrefectTarget) -> FlowRun:
    deadline = time.monotonic() + target.run_timeout
    while not (flow_run.state and flow_run.state.is_final()):
        if time.monotonic() > deadline:
            raise HotpassError(f"flow run {flow_run.name} ({flow_run.id}) did not finish within "
                               f"{target.run_timeout:.0f} s")
        time.sleep(target.poll_seconds)
        flow_run = client.read_flow_run(flow_run.id)
    return flow_run


def _outcome(spec: RunSpec, flow_run: FlowRun, started_at: str, seconds: float) -> RunOutcome:
    state = flow_run.state
    completed = bool(state and state.is_completed())
    error = None if completed else (
        f"flow run {flow_run.name} ended {state.type.value if state else 'unknown'}"
        f"{': ' + state.message if state and state.message else ''}")
    counts = output_counts(spec.output_path) if completed else {}
    start = flow_run.start_time.isoformat() if flow_run.start_time else started_at
    end = flow_run.end_time.isoformat() if flow_run.end_time else utc_now()
    return RunOutcome(run_date=spec.run_date, version=spec.version,
                      status="completed" if completed else "failed", started_at=start,
                      finished_at=end, seconds=round(flow_run.total_run_time.total_seconds()
                                                     or seconds, 3),
                      executor="prefect", error=error, flow_run_id=str(flow_run.id), **counts)
