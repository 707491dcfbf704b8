"""Trigger a deployment's flow run and follow it to a final state (`hotpass run`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from hotpass.errors import UsageError
from hotpass.paths import DEFAULT_MANIFEST_DIR

POLL_SECONDS = 1.0


def find_deployment(client: Any, deployment_full_name_or_id: str) -> Any:
    """The server deployment named `flow-name/deployment-name`, or with that UUID."""
    from prefect.exceptions import ObjectNotFound

    try:
        as_id = UUID(deployment_full_name_or_id)
    except ValueError:
        as_id = None
    try:
        if as_id is not None:
            return client.read_deployment(as_id)
        if "/" not in deployment_full_name_or_id:
            raise UsageError(f"{deployment_full_name_or_id!r} is not a deployment name",
                             hint="use FLOW-NAME/DEPLOYMENT-NAME, a deployment UUID or a "
                                  "manifest id")
        return client.read_deployment_by_name(deployment_full_name_or_id)
    except ObjectNotFound as exc:
        raise UsageError(f"no deployment {deployment_full_name_or_id!r} on the server",
                         hint="register it first with `hotpass deploy`") from exc


def trigger_run(client: Any, deployment_full_name_or_id: str, parameters: dict[str, Any] | None,
                *, idempotency_key: str | None = None) -> UUID:
    """Create a flow run of the deployment (parameters merge over its defaults); the same
    `idempotency_key` returns the same run, so resubmission is safe."""
    deployment = find_deployment(client, deployment_full_name_or_id)
    run = client.create_flow_run_from_deployment(
        deployment.id, parameters=parameters or {}, idempotency_key=idempotency_key)
    flow_run_id: UUID = run.id
    return flow_run_id


@dataclass(frozen=True)
class RunOutcome:
    flow_run_id: str
    flow_run_name: str
    state: str  # the state name, e.g. Completed, Failed, Crashed; "Timeout" if we stopped waiting
    state_type: str
    duration: float  # seconds we waited
    timed_out: bool
    message: str | None = None

    @property
    def completed(self) -> bool:
        return self.state_type == "COMPLETED"

    @property
    def exit_code(self) -> int:
        return 0 if self.completed else 1

    def to_json(self) -> dict[str, Any]:
        return {"flow_run_id": self.flow_run_id, "flow_run_name": self.flow_run_name,
                "state": self.state, "state_type": self.state_type,
                "duration_seconds": round(self.duration, 3), "timed_out": self.timed_out,
                "message": self.message, "completed": self.completed}


def wait_for_run(client: Any, flow_run_id: UUID | str, *, timeout: float,
                 poll: float = POLL_SECONDS) -> RunOutcome:
    """Poll the flow run until its state is final or `timeout` seconds pass."""
    run_id = UUID(str(flow_run_id))
    started = time.monotonic()
    while True:
        run = client.read_flow_run(run_id)
        state = run.state
        elapsed = time.monotonic() - started
        if state is not None and state.is_final():
            return RunOutcome(str(run_id), run.name, state.name, state.type.value, elapsed,
                              False, state.message)
        if elapsed >= timeout:
            name = state.name if state is not None else "Unknown"
            return RunOutcome(str(run_id), run.name, name, "TIMEOUT", elapsed, True,
                              f"still {name} after {timeout:.0f}s")
        time.sleep(poll)


def deployment_full_name(reference: str, manifest_dir: Path) -> str:
    """`flow-name/deployment-name` for a manifest id; a full name or a UUID is returned as is."""
    if "/" in reference or _is_uuid(reference):
        return reference
    from hotpass.manifests import load_manifest_set
    from hotpass.manifests.check import import_flow

    spec = load_manifest_set(manifest_dir).select([reference])[0]
    return f"{import_flow(spec.flow).name}/{spec.name}"


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class LaunchResult:
    deployment: str
    flow_run_id: str
    outcome: RunOutcome | None  # None when not waiting

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code if self.outcome is not None else 0

    def to_json(self) -> dict[str, Any]:
        return {"deployment": self.deployment, "flow_run_id": self.flow_run_id,
                "outcome": self.outcome.to_json() if self.outcome else None}


def launch(reference: str, parameters: dict[str, Any] | None, *, wait: bool, timeout: float,
           api_url: str | None = None, manifest_dir: Path = DEFAULT_MANIFEST_DIR) -> LaunchResult:
    """`hotpass run`: trigger the deployment (manifest id, full name or UUID), optionally wait."""
    from hotpass.prefect_local.client import prefect_client

    full_name = deployment_full_name(reference, manifest_dir)
    with prefect_client(api_url) as client:
        run_id = trigger_run(client, full_name, parameters)
        outcome = wait_for_run(client, run_id, timeout=timeout) if wait else None
    return LaunchResult(full_name, str(run_id), outcome)
