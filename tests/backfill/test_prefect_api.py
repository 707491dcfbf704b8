"""The parent's Prefect client (integration: a real server)."""

from __future__ import annotations

from typing import Any

import pytest

from hotpass.backfill.prefect_api import api_settings, sync_client
from hotpass.prefect_local.transport import QuickRetryTransport

pytestmark = pytest.mark.integration


def test_prefect_helpers_inside_the_block_use_the_quick_retry_client(prefect_server: Any) -> None:
    from prefect.client.orchestration import get_client

    with api_settings(prefect_server.api_url), sync_client() as client:
        assert get_client(sync_client=True) is client  # what run_deployment asks for
        transport = client._client._transport  # noqa: SLF001 - the point of the test
        assert isinstance(transport, QuickRetryTransport)
    with api_settings(prefect_server.api_url):
        assert get_client(sync_client=True) is not client
