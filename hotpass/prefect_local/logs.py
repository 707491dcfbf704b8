"""Export a flow run's logs (and its child runs') from the API to a text file, in order.

Right after a run finishes not every line has reached the API yet, so reading polls until the
count stops changing (prefect-notes: Workers and runs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from uuid import UUID

from hotpass.fsutil import atomic_write_text

PAGE = 200
MAX_DEPTH = 4
LEVEL_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}


def export_logs(client: Any, flow_run_id: UUID | str, dest: Path, *,
                include_children: bool = True, settle_seconds: float = 2.0,
                max_wait: float = 20.0) -> int:
    """Write `<timestamp> | <LEVEL> | <run name> | <message>` lines sorted by time to `dest`
    (atomically); returns the number of lines written."""
    root = UUID(str(flow_run_id))
    runs = {root: client.read_flow_run(root).name}
    if include_children:
        runs.update(_descendants(client, [root]))
    logs = _read_settled(client, list(runs), settle_seconds, max_wait)
    lines = [_format(log, runs) for log in sorted(logs, key=lambda lg: (lg.timestamp,
                                                                        str(lg.id)))]
    atomic_write_text(dest, "".join(line + "\n" for line in lines))
    return len(lines)


def _descendants(client: Any, parents: list[UUID]) -> dict[UUID, str]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    found: dict[UUID, str] = {}
    level = parents
    for _ in range(MAX_DEPTH):
        if not level:
            break
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=level)), limit=PAGE)
        level = [c.id for c in children if c.id not in found]
        found.update({c.id: c.name for c in children})
    return found


def _read_settled(client: Any, run_ids: list[UUID], settle: float, max_wait: float,
                  ) -> list[Any]:
    deadline = time.monotonic() + max_wait
    logs = _read_all(client, run_ids)
    while time.monotonic() < deadline:
        time.sleep(settle)
        again = _read_all(client, run_ids)
        if len(again) == len(logs):
            return again
        logs = again
    return logs


def _read_all(client: Any, run_ids: list[UUID]) -> list[Any]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort

    log_filter = LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids))
    out: list[Any] = []
    while True:
        page = client.read_logs(log_filter=log_filter, limit=PAGE, offset=len(out),
                                sort=LogSort.TIMESTAMP_ASC)
        out.extend(page)
        if len(page) < PAGE:
            return out


def _format(log: Any, runs: dict[UUID, str]) -> str:
    level = LEVEL_NAMES.get(log.level, str(log.level))
    run_name = runs.get(log.flow_run_id, str(log.flow_run_id))
    message = str(log.message).replace("\n", "\n    ")
    return f"{log.timestamp.isoformat()} | {level:<8} | {run_name} | {message}"
