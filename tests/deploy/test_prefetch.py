"""The Prefect-free server reads of deploy.prefetch against a small local HTTP server."""

from __future__ import annotations

import json
import threading
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hotpass.deploy.prefetch import read_pools


class Answers(BaseHTTPRequestHandler):
    """Answers POSTs from `server.answers`, a list of (status, headers) ending in a 200."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
        self.rfile.read(int(self.headers["Content-Length"]))
        status, headers = self.server.answers.pop(0)  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if status == 200:
            self.wfile.write(json.dumps([{"name": "pool-a"}]).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def _url(httpd: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/api"


def test_a_locked_database_answer_is_repeated(server: ThreadingHTTPServer) -> None:
    server.answers = [(503, {}), (429, {}), (200, {})]  # type: ignore[attr-defined]
    assert read_pools(_url(server), ["pool-a", "pool-b"]) == {"pool-a"}
    assert server.answers == []  # type: ignore[attr-defined]


def test_an_answer_with_retry_after_goes_back_to_the_caller(server: ThreadingHTTPServer) -> None:
    server.answers = [(503, {"Retry-After": "5"}), (200, {})]  # type: ignore[attr-defined]
    with pytest.raises(urllib.error.HTTPError):
        read_pools(_url(server), ["pool-a"])
