"""One way to reach a Prefect API: resolve the URL, check it answers, and turn connection and
API errors into `PrefectUnavailable` (exit 3) with the URL masked."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from hotpass.bundles.masking import mask_url
from hotpass.errors import HotpassError, PrefectUnavailable
from hotpass.paths import DEFAULT_HOME

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

START_HINT = ("start a local server with `hotpass server start` (or set PREFECT_API_URL to a "
              "running server)")


def resolve_api_url(explicit: str | None = None, *, home: Path | None = None) -> str:
    """The API URL to use: `explicit`, else PREFECT_API_URL (environment, then the active
    Prefect profile), else the server `hotpass server start` recorded under `home`. Never falls
    back to an ephemeral server."""
    if explicit:
        return explicit
    from_env = os.environ.get("PREFECT_API_URL")
    if from_env:
        return from_env
    from prefect.settings import PREFECT_API_URL

    configured = PREFECT_API_URL.value()
    if configured:
        return str(configured)
    from hotpass.prefect_local.server import running_server

    local = running_server(home or DEFAULT_HOME)
    if local is not None:
        return local.api_url
    raise PrefectUnavailable("no Prefect server is configured (PREFECT_API_URL is not set and "
                             "no local server is running)", hint=START_HINT)


@contextmanager
def prefect_client(api_url: str | None = None, *, home: Path | None = None,
                   ) -> Iterator[SyncPrefectClient]:
    """A synchronous Prefect client bound to `api_url` (resolved as `resolve_api_url` does).

    Connection failures and HTTP errors raised inside the block become `PrefectUnavailable`."""
    import httpx
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_KEY

    from hotpass.manifests.check import cache_timezone_list
    from hotpass.prefect_local.transport import quick_retry_settings

    cache_timezone_list()  # server responses carry schedules too
    quiet_request_logs()
    url = resolve_api_url(api_url, home=home)
    shown = mask_url(url)
    client = SyncPrefectClient(url, api_key=PREFECT_API_KEY.value(),
                               auth_string=PREFECT_API_AUTH_STRING.value(),
                               httpx_settings=quick_retry_settings())
    try:
        with client:
            problem = client.api_healthcheck()
            if problem is not None:
                raise PrefectUnavailable(
                    f"cannot reach the Prefect API at {shown}: {_describe(problem)}",
                    hint=START_HINT)
            yield client
    except HotpassError:
        raise
    except PrefectHTTPStatusError as exc:
        raise PrefectUnavailable(f"the Prefect API at {shown} answered {_describe(exc)}",
                                 hint="check the server log; the request was not completed"
                                 ) from exc
    except (httpx.TransportError, OSError) as exc:
        raise PrefectUnavailable(f"lost the Prefect API at {shown}: {_describe(exc)}",
                                 hint=START_HINT) from exc


def quiet_request_logs() -> None:
    """httpx logs every request at INFO; keep that for --debug (root logger at DEBUG) only."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)


def _describe(exc: BaseException) -> str:
    """A one-line description without the URL (which may carry credentials)."""
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None):
        detail = ""
        try:
            detail = str(response.json().get("detail", ""))[:300]
        except Exception:  # noqa: BLE001 - the body is only a hint
            detail = ""
        return f"HTTP {response.status_code} {detail}".strip()
    return type(exc).__name__
