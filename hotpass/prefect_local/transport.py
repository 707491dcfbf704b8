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

import httpx

from hotpass.prefect_local.retry import RETRY_DELAYS, repeat_at_once


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
