"""Read the server's managed deployments while the manifests are still being validated.

Serialising 50 deployments takes the server 0.3-0.7 s; validating 50 manifests (and importing
Prefect) takes the client about as long. Reading in a background thread, with the standard
library's HTTP client and without Prefect, lets the two overlap on a second core; an unchanged
re-apply answered from the deploy cache (deploy.unchanged) waits for nothing else. Reads only:
any problem (no URL known without Prefect's settings, auth, an unreachable server) just yields
nothing, and the plan then reads the server itself and reports errors as usual.
"""

from __future__ import annotations

import base64
import functools
import os
import threading
from pathlib import Path
from typing import Any

from hotpass.deploy.plan import PAGE, read_server_deployments
from hotpass.manifests.spec import MANAGED_TAG

TIMEOUT = 30.0


class ManagedPrefetch:
    """Managed deployments (API JSON keyed by `flow-name/deployment-name`) read in a thread."""

    def __init__(self, api_url: str | None, *, settled: bool = False,
                 names: list[str] | None = None) -> None:
        self.api_url = api_url
        # only the managed deployments with these deployment names (all when None): the
        # server serialises ~10 ms per deployment, and a set need not pay for its neighbours
        self.names = names
        # True when `api_url` is the URL the Prefect client will use (given explicitly or by
        # PREFECT_API_URL); a recorded local server may still lose to a Prefect profile's URL.
        self.settled = settled and bool(api_url)
        self._result: dict[str, dict[str, Any]] | None = None
        self._thread: threading.Thread | None = None
        if api_url:
            self._thread = threading.Thread(target=self._run, name="hotpass-prefetch",
                                            daemon=True)
            self._thread.start()

    def result(self, api_url: str, *, every: bool = False) -> dict[str, dict[str, Any]] | None:
        """The prefetched deployments if they came from `api_url` (and, with `every`, are all
        the managed ones, as pruning needs), else None."""
        if self._thread is None or api_url.rstrip("/") != (self.api_url or "").rstrip("/"):
            return None
        if every and self.names is not None:
            return None
        self._thread.join(TIMEOUT)
        return self._result

    def missing_pools(self, pools: list[str]) -> list[str] | None:
        """Which of `pools` the server lacks; None if that cannot be read."""
        if not self.api_url:
            return None
        try:
            names = read_pools(self.api_url, pools)
        except Exception:  # noqa: BLE001 - the full path reads again and reports errors
            return None
        return [p for p in pools if p not in names]

    def _run(self) -> None:
        try:
            self._result = read_managed(str(self.api_url), self.names)
        except Exception:  # noqa: BLE001 - a hint only; the plan reads again on any failure
            self._result = None


def start_prefetch(explicit_url: str | None, memo_dir: Path | None = None,
                   names: list[str] | None = None) -> ManagedPrefetch:
    """Start reading from the URL `hotpass deploy` will use, when it is known without Prefect:
    --api-url, PREFECT_API_URL, the URL Prefect's settings gave last time if they are unchanged
    (deploy.settings_memo, kept in `memo_dir`), or the local server recorded in .hotpass/."""
    url = explicit_url or os.environ.get("PREFECT_API_URL")
    if url:
        return ManagedPrefetch(url, settled=True, names=names)
    known, configured = False, None
    if memo_dir is not None:
        from hotpass.deploy.settings_memo import recall_configured_url

        known, configured = recall_configured_url(memo_dir)
    if configured:
        return ManagedPrefetch(configured, settled=True, names=names)
    from hotpass.paths import DEFAULT_HOME
    from hotpass.prefect_local.server import running_server

    local = running_server(DEFAULT_HOME)
    return ManagedPrefetch(local.api_url if local else None, settled=known, names=names)


def _headers() -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if os.environ.get("PREFECT_API_AUTH_STRING"):
        token = base64.b64encode(os.environ["PREFECT_API_AUTH_STRING"].encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif os.environ.get("PREFECT_API_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['PREFECT_API_KEY']}"
    return headers


def _post(api_url: str, route: str, body: dict[str, Any]) -> Any:
    """POST JSON, return the decoded answer; a locked SQLite server's 429/503 is repeated like
    the Prefect clients' transport does. The standard library's client: importing httpx would
    put 0.15 s in front of the first request, and this read is what an unchanged re-apply
    waits for."""
    import json
    import time
    import urllib.error
    import urllib.request

    from hotpass.prefect_local.retry import RETRY_DELAYS, repeat_at_once

    request = urllib.request.Request(f"{api_url.rstrip('/')}/{route}", method="POST",
                                     data=json.dumps(body).encode(), headers=_headers())

    def once() -> Any:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            return json.loads(answer.read())

    for delay in RETRY_DELAYS:
        try:
            return once()
        except urllib.error.HTTPError as exc:
            if not repeat_at_once(exc.code, exc.headers.get("Retry-After")):
                raise
        time.sleep(delay)
    return once()


def read_pools(api_url: str, pools: list[str]) -> set[str]:
    """Which of `pools` exist on the server."""
    found = _post(api_url, "work_pools/filter", {"work_pools": {"name": {"any_": pools}},
                                                  "limit": PAGE})
    return {pool["name"] for pool in found}


def read_managed(api_url: str, names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Managed deployments keyed by `flow-name/deployment-name`; only those with a deployment
    name in `names` when given."""
    return read_server_deployments(functools.partial(_post, api_url), names=names,
                                   tag=MANAGED_TAG)
