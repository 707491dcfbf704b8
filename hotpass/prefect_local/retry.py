"""When a request to a local Prefect server is repeated at once, shared by the httpx transport
(prefect_local.transport) and the standard-library reads of deploy.prefetch: 429/503 without a
Retry-After ("database is locked" on SQLite; the transaction was rolled back, so repeating is
safe), after these short delays."""

from __future__ import annotations

RETRY_STATUS = frozenset({429, 503})
RETRY_DELAYS = (0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0)


def repeat_at_once(status: int, retry_after: str | None) -> bool:
    """True for an answer to repeat quickly; one with Retry-After goes back to its caller."""
    return status in RETRY_STATUS and retry_after is None
