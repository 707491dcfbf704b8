"""Clean-up after a killed backfill that ran via Prefect: cancel the children it had submitted
before they are redone locally."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotpass.backfill.prefect_fanout import PrefectTarget


def cancel_unfinished(target: PrefectTarget, flow_run_ids: Sequence[str]) -> list[str]:
    """Cancel child runs a killed backfill had submitted, before they are redone locally (so a
    worker coming back cannot run them a second time). Ids the server does not know (a state
    file from a reset server) or that are not UUIDs are skipped. Returns the ids it cancelled."""
    if not flow_run_ids:
        return []
    from uuid import UUID

    from prefect.exceptions import ObjectNotFound
    from prefect.states import Cancelled

    from hotpass.prefect_local.client import prefect_client

    cancelled = []
    with prefect_client(target.api_url) as client:
        for flow_run_id in flow_run_ids:
            try:
                flow_run = client.read_flow_run(UUID(flow_run_id))
            except (ObjectNotFound, ValueError):  # another (reset) server's run, or a bad id
                continue
            if flow_run.state is None or not flow_run.state.is_final():
                client.set_flow_run_state(flow_run.id, Cancelled(
                    message="the backfill ran this locally: no worker was online"), force=True)
                cancelled.append(flow_run_id)
    return cancelled
