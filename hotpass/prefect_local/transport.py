"""HTTP transport for hotpass's Prefect clients: repeat a request quickly while the server
answers 429/503 without a Retry-After.

A local SQLite server answers 503 ("database is locked") when a request meets its own services'
writes; the transaction was rolled back, so repeating it is safe, and the lock clears in well
under a second. Prefect's client would wait 2 s, 4 s, … and, even with retries turned off,
still sleeps once before returning the failure. Answers that carry Retry-After (e.g. a
concurrency slot that is not free yet) go straight back to Prefect, which honours them."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from hotpass.prefect_local.retry import RETRY_DELAYS, repeat_at_once


class QuickRetryAsyncTransport(httpx.AsyncBaseTransport):
    """The async twin of QuickRetryTransport (workers and flow-run processes use Prefect's
    async client)."""

    def __init__(self, inner: httpx.AsyncBaseTransport,
                 delays: Sequence[float] = RETRY_DELAYS) -> None:
        self._inner, self._delays = inner, tuple(delays)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import anyio

        for delay in self._delays:
            response = await self._inner.handle_async_request(request)
            if not repeat_at_once(response.status_code, response.headers.get("Retry-After")):
                return response
            await response.aclose()
            await anyio.sleep(delay)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


_INSTALLED = "_hotpass_quick_retries"


def install_quick_retries() -> None:
    """Make every Prefect client this process creates from now on repeat a locked SQLite
    server's 503 quickly, by wrapping the transport of Prefect's httpx client classes.

    For processes hotpass owns whose clients Prefect builds itself: its process workers and
    the flow runs forked from their engine servers. Relies on the `_transport` attribute of
    httpx clients (httpx 0.28) and on Prefect 3.8.8's client classes; a test (in a fresh
    process) checks it still takes effect."""
    from prefect.client import base

    for cls, wrapper in ((base.PrefectHttpxAsyncClient, QuickRetryAsyncTransport),
                         (base.PrefectHttpxSyncClient, QuickRetryTransport)):
        if getattr(cls, _INSTALLED, False):
            continue
        original = cls.__init__

        def __init__(self: Any, *args: Any, _original: Any = original, _wrapper: Any = wrapper,
                     **kwargs: Any) -> None:
            _original(self, *args, **kwargs)
            if not isinstance(self._transport, QuickRetryTransport | QuickRetryAsyncTransport):
                self._transport = _wrapper(self._transport)  # hotpass's own clients have one

        cls.__init__ = __init__  # type: ignore[method-assign]
        setattr(cls, _INSTALLED, True)


class QuickRetryTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, delays: Sequence[float] = RETRY_DELAYS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._inner, self._delays, self._sleep = inner, tuple(delays), sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for delay in self._delays:
            response = self._inner.handle_request(request)
            if not repeat_at_once(response.status_code, response.headers.get("Retry-After")):
                return response
            response.close()
            self._sleep(delay)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def prefect_tls_context() -> ssl.SSLContext:
    """The TLS context Prefect's client would build from its settings (a custom transport
    does not inherit the client's `verify`)."""
    from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY

    if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    import certifi

    return ssl.create_default_context(cafile=PREFECT_API_SSL_CERT_FILE.value() or certifi.where())


def quick_retry_settings() -> dict[str, object]:
    """`httpx_settings` for a Prefect client that uses the quick-retry transport."""
    context = prefect_tls_context()
    return {"verify": context,
            "transport": QuickRetryTransport(httpx.HTTPTransport(verify=context))}
