"""The parent's Prefect client (integration: a real server)."""

from __future__ import annotations

from typing import Any

import pytest

from hotpass.backfill.prefect_api import sync_client
from hotpass.errors import PrefectUnavailable
from hotpass.prefect_local.transport import QuickRetryTransport

pytestmark = pytest.mark.integration


def test_prefect_helpers_inside_the_block_use_the_quick_retry_client(prefect_server: Any) -> None:
    from prefect.client.orchestration import get_client
    from prefect.context import SyncClientContext

    with sync_client(prefect_server.api_url) as client:
        assert get_client(sync_client=True) is client  # what run_deployment asks for
        transport = client._client._transport  # noqa: SLF001 - the point of the test
        assert isinstance(transport, QuickRetryTransport)
    assert SyncClientContext.get() is None


def test_an_unreachable_api_is_prefect_unavailable_with_the_url_masked() -> None:
    with pytest.raises(PrefectUnavailable) as caught, sync_client(
            "http://hotpass:s3cret@127.0.0.1:9/api"):
        pass
    assert caught.value.exit_code == 3
    assert "http://hotpass:***@127.0.0.1:9/api" in caught.value.message
    assert "s3cret" not in caught.value.message
