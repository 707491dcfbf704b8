"""The quick-retry transport: a locked SQLite server's 503 is repeated at once; answers that say
when to come back (Retry-After) are left to Prefect's client."""

from __future__ import annotations

import httpx

from hotpass.prefect_local.transport import QuickRetryTransport


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
