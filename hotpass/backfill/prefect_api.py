"""The Prefect API as the backfill's parent uses it: the server to talk to, a sync client, and
API failures turned into PrefectUnavailable. Prefect is imported only when called."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hotpass.errors import PrefectUnavailable

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient


@contextmanager
def api_settings(api_url: str | None) -> Iterator[None]:
    """Point Prefect at `api_url` for the block (no change when None)."""
    if not api_url:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield


@contextmanager
def sync_client() -> Iterator[SyncPrefectClient]:
    """A sync client whose transport repeats a 503 at once (hotpass.prefect_local.transport),
    also handed to Prefect's helpers called inside the block: `get_client(sync_client=True)`
    returns the client of the current SyncClientContext. A local SQLite server answers 503
    "database is locked" to creating a child now and then while children write their task
    runs; `run_deployment`'s own client would sleep 2 s, then 4 s, with nothing submitted."""
    from prefect.client.orchestration import get_client
    from prefect.context import SyncClientContext

    from hotpass.prefect_local.transport import quick_retry_settings

    with get_client(sync_client=True, httpx_settings=quick_retry_settings()) as client:
        problem = client.api_healthcheck()  # an unreachable API fails here, as an httpx error
        if problem is not None:
            raise problem
        with SyncClientContext.model_construct(client=client) as context:
            yield context.client


@contextmanager
def prefect_errors() -> Iterator[None]:
    """An unreachable API becomes PrefectUnavailable (exit 3) with a hint."""
    import httpx

    try:
        yield
    except (httpx.HTTPError, OSError) as exc:
        raise PrefectUnavailable(f"the Prefect API did not answer: {exc}",
                                 hint="check PREFECT_API_URL and `hotpass server status`") from None
