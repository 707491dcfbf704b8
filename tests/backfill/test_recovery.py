"""Clean-up after a killed backfill (integration: a real server)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hotpass.backfill.prefect_fanout import PrefectTarget
from hotpass.backfill.recovery import cancel_unfinished

pytestmark = pytest.mark.integration


def test_ids_the_server_does_not_know_are_skipped(prefect_server: Any) -> None:
    from prefect import flow

    from hotpass.prefect_local.client import prefect_client

    @flow(name="hotpass-recovery-orphan")
    def orphan() -> None:
        return None

    with prefect_client(prefect_server.api_url) as client:
        waiting = str(client.create_flow_run(orphan).id)
    unknown = str(uuid.uuid4())  # a run of a server that has since been reset
    target = PrefectTarget(api_url=prefect_server.api_url)

    assert cancel_unfinished(target, [unknown, "not-a-uuid", waiting]) == [waiting]
    with prefect_client(prefect_server.api_url) as client:
        state = client.read_flow_run(uuid.UUID(waiting)).state
    assert state is not None and state.is_cancelled()
