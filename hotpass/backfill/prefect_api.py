"""The Prefect client the backfill's parent submits children with. Prefect is imported only
when called."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient


@contextmanager
def sync_client(api_url: str | None) -> Iterator[SyncPrefectClient]:
    """`prefect_client(api_url)` (hotpass.prefect_local.client: a transport that repeats a 503
    at once, a health check, errors as PrefectUnavailable with the URL masked), also handed to
    Prefect's helpers called inside the block: `get_client(sync_client=True)` returns the
    client of the current SyncClientContext. A local SQLite server answers 503 "database is
    locked" to creating a child now and then while children write their task runs;
    `run_deployment`'s own client would sleep 2 s, then 4 s, with nothing submitted."""
    from prefect.context import SyncClientContext

    from hotpass.prefect_local.client import prefect_client

    # model_construct, not SyncClientContext(): its __init__ opens a client of its own through
    # get_client (default transport, PREFECT_API_URL), which would replace this one
    with (prefect_client(api_url) as client,
          SyncClientContext.model_construct(client=client) as context):
        yield context.client
