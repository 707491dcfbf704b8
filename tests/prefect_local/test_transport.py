"""The quick-retry transport: a locked SQLite server's 503 is repeated at once; answers that say
when to come back (Retry-After) are left to Prefect's client."""

from __future__ import annotations

import httpx

from hotpass.prefect_local.transport import QuickRetryAsyncTransport, QuickRetryTransport


def serve(statuses: list[tuple[int, dict[str, str]]]) -> tuple[httpx.MockTransport, list[bytes]]:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        status, headers = statuses.pop(0)
        return httpx.Response(status, headers=headers, json={"n": len(bodies)})

    return httpx.MockTransport(handler), bodies


def test_locked_writes_are_repeated_with_the_same_body() -> None:
    inner, bodies = serve([(503, {}), (503, {}), (201, {})])
    slept: list[float] = []
    with httpx.Client(transport=QuickRetryTransport(inner, sleep=slept.append),
                      base_url="http://127.0.0.1") as client:
        response = client.post("/deployments/", json={"name": "x"})
    assert response.status_code == 201
    assert bodies == [b'{"name":"x"}'] * 3
    assert slept == [0.1, 0.2]


def test_retry_after_goes_back_to_the_caller_untouched() -> None:
    inner, bodies = serve([(429, {"Retry-After": "5"})])
    with httpx.Client(transport=QuickRetryTransport(inner, sleep=lambda _: None),
                      base_url="http://127.0.0.1") as client:
        response = client.post("/v2/concurrency_limits/increment", json={})
    assert (response.status_code, len(bodies)) == (429, 1)


def test_gives_up_after_its_delays_and_returns_the_last_answer() -> None:
    inner, bodies = serve([(503, {})] * 4)
    with httpx.Client(transport=QuickRetryTransport(inner, delays=(0.1, 0.1, 0.1),
                                                    sleep=lambda _: None),
                      base_url="http://127.0.0.1") as client:
        assert client.get("/health").status_code == 503
    assert len(bodies) == 4


def test_the_async_twin_repeats_locked_writes_and_leaves_retry_after_alone() -> None:
    import anyio

    inner, bodies = serve([(503, {}), (503, {}), (201, {}), (429, {"Retry-After": "5"})])

    async def post_twice() -> list[int]:
        async with httpx.AsyncClient(transport=QuickRetryAsyncTransport(inner, delays=(0, 0)),
                                     base_url="http://127.0.0.1") as client:
            first = await client.post("/flow_runs/x/set_state", json={"s": 1})
            second = await client.post("/v2/concurrency_limits/increment", json={})
            return [first.status_code, second.status_code]

    assert anyio.run(post_twice) == [201, 429]
    assert bodies == [b'{"s":1}'] * 3 + [b"{}"]


INSTALLED_CHECK = """
from hotpass.prefect_local.transport import (QuickRetryAsyncTransport, QuickRetryTransport,
                                             install_quick_retries)
install_quick_retries()
install_quick_retries()  # twice: still one wrapper
from prefect.client.orchestration import get_client
async_client, sync_client = get_client(), get_client(sync_client=True)
assert type(async_client._client._transport) is QuickRetryAsyncTransport, async_client._client
assert type(async_client._client._transport._inner) is not QuickRetryAsyncTransport
assert type(sync_client._client._transport) is QuickRetryTransport, sync_client._client
from prefect.client.orchestration import SyncPrefectClient
from hotpass.prefect_local.transport import quick_retry_settings
own = SyncPrefectClient("http://127.0.0.1:9/api", httpx_settings=quick_retry_settings())
assert type(own._client._transport._inner) is not QuickRetryTransport  # not wrapped twice
print("ok")
"""


def test_installed_in_a_process_every_prefect_client_it_makes_repeats_quickly() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    done = subprocess.run([sys.executable, "-c", INSTALLED_CHECK], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "ok", done.stderr
