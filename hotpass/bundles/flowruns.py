"""Evidence about flow runs for a rehearsal bundle: the parent and its child runs with states
and times, the highest overlap observed, the backfill's per-run dataset counts, and the
guardrail verdicts built from them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from hotpass.backfill.slot import slot_times
from hotpass.bundles.transcript import iso
from hotpass.qa.report import FAIL, PASS, WARN

BACKFILL_TAG = "hotpass-backfill"


def collect_flow_runs(client: Any, parent_id: str) -> list[dict[str, Any]]:
    """The parent run and its child runs, in start order (parent first). Children are the runs
    linked to the parent plus the backfill's fan-out runs (tag `hotpass-backfill`) that started
    while the parent ran — those are submitted from the deployment, so Prefect does not always
    link them."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        FlowRunFilterStartTime,
        FlowRunFilterTags,
    )

    parent = client.read_flow_run(UUID(parent_id))
    linked = client.read_flow_runs(flow_run_filter=FlowRunFilter(
        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])), limit=200)
    tagged = []
    if parent.start_time is not None:
        window = FlowRunFilterStartTime(after_=parent.start_time, before_=parent.end_time)
        tagged = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=[BACKFILL_TAG]), start_time=window), limit=200)
    children = {r.id: r for r in [*linked, *tagged] if r.id != parent.id}.values()
    ordered = sorted(children, key=lambda r: (r.start_time or r.created or datetime.max, r.name))
    return [_describe(parent, None), *(_describe(r, parent_id) for r in ordered)]


def export_run_logs(client: Any, run_ids: list[str], dest: Path,
                    secrets: Iterable[str] = ()) -> int:
    """Logs of every run (parent first, then children) merged in time order, masked (secrets,
    e-mail addresses, phone numbers) and written to `dest` in one atomic write — the unmasked
    text never reaches `dest`."""
    import tempfile

    from hotpass.bundles.masking import mask_log_text
    from hotpass.fsutil import atomic_write_text
    from hotpass.prefect_local.logs import export_logs

    entries: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for index, run_id in enumerate(run_ids):
            part = Path(scratch) / f"{index}.log"
            export_logs(client, run_id, part, include_children=index == 0,
                        settle_seconds=2.0 if index == 0 else 0.5)
            entries += _entries(part.read_text(encoding="utf-8"))
    unique = sorted(set(entries), key=lambda e: (e.split(" | ", 1)[0], e))
    atomic_write_text(dest, mask_log_text("".join(unique), secrets))
    return len(unique)


def _entries(text: str) -> list[str]:
    """Log entries: a timestamped line plus its indented continuation lines."""
    entries: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("    ") and entries:
            entries[-1] += line
        else:
            entries.append(line)
    return entries


def _describe(run: Any, parent_id: str | None) -> dict[str, Any]:
    start, end = run.start_time, run.end_time
    seconds = round((end - start).total_seconds(), 3) if start and end else None
    described = {"id": str(run.id), "name": run.name, "parent_id": parent_id,
                 "state": run.state.name if run.state else "Unknown",
                 "started_at": iso(start) if start else None,
                 "finished_at": iso(end) if end else None, "seconds": seconds,
                 "_start": start.timestamp() if start else None,
                 "_end": end.timestamp() if end else None}
    held = slot_times(getattr(run, "labels", None))
    if held is not None:  # a backfill child: the cap bounds its work, timed by its slot
        described.update({"slot_started_at": held[0], "slot_finished_at": held[1],
                          "_start": datetime.fromisoformat(held[0]).timestamp(),
                          "_end": datetime.fromisoformat(held[1]).timestamp()})
    return described


def max_overlap(runs: list[dict[str, Any]]) -> int:
    """The highest number of runs in flight at the same moment (a run ending as another starts
    does not overlap it). A backfill child counts while it held its `hotpass:backfill` slot
    (its work, which the cap bounds), not while its process started up ahead of the cap."""
    events: list[tuple[float, int]] = []
    for run in runs:
        if run.get("_start") is not None and run.get("_end") is not None:
            events += [(run["_start"], 1), (run["_end"], -1)]
    highest = current = 0
    for _moment, delta in sorted(events, key=lambda e: (e[0], e[1])):
        current += delta
        highest = max(highest, current)
    return highest


def public(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs without the private timing fields used for the overlap."""
    return [{k: v for k, v in run.items() if not k.startswith("_")} for run in runs]


def find_backfill_state(restore_root: Path, child_ids: set[str]) -> dict[str, Any] | None:
    """The backfill state file whose runs name one of these child flow runs."""
    if not restore_root.is_dir():
        return None
    for path in sorted(restore_root.glob("backfill-*.json"), key=lambda p: p.stat().st_mtime,
                       reverse=True):
        try:
            state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if {r.get("flow_run_id") for r in state.get("runs", [])} & child_ids:
            return state
    return None


def datasets(state: dict[str, Any] | None) -> list[dict[str, Any]]:
    if state is None:
        return []
    keys = ("run_date", "version", "status", "records_in", "records_out", "rejected", "seconds")
    return [{k: run.get(k) for k in keys} for run in state.get("runs", [])]


def guardrails(runs: list[dict[str, Any]], limit: int | None,
               rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Verdicts: the run completed, every child completed, overlap within the limit, and every
    completed dataset has records."""
    parent, children = runs[0], runs[1:]
    overlap = max_overlap(children)
    not_done = [c["name"] for c in children if c["state"] != "Completed"]
    empty = [f"{r['run_date']}--{r['version']}" for r in rows
             if r.get("status") == "completed" and not r.get("records_out")]
    return [
        _verdict("run.completed", parent["state"] == "Completed",
                 f"backfill flow run {parent['name']} ended {parent['state']}"),
        _verdict("children.completed", not not_done,
                 f"{len(children) - len(not_done)} of {len(children)} child runs completed"
                 + (f" (not: {', '.join(not_done)})" if not_done else ""),
                 warn=not children),
        _verdict("concurrency.overlap", limit is None or overlap <= limit,
                 f"highest overlap {overlap} with a limit of {limit} (child runs counted "
                 "while they held a backfill slot)"),
        _verdict("datasets.records", not empty,
                 f"{len(rows)} dataset(s); empty outputs: {', '.join(empty) or 'none'}",
                 warn=not rows),
    ]


def _verdict(check_id: str, ok: bool, message: str, *, warn: bool = False) -> dict[str, str]:
    status = (WARN if warn else PASS) if ok else FAIL
    if warn and ok:
        message += " (nothing to check)"
    return {"id": check_id, "status": status, "message": message}


def fill_rehearsal(builder: Any, parameters: dict[str, Any], evidence: dict[str, Any], *,
                   api_url: str | None, local: bool) -> None:
    """Put the rehearsal's evidence into the summary builder: flow runs, datasets, the
    concurrency limit and highest overlap, QA outcome and the guardrail verdicts."""
    runs: list[dict[str, Any]] = evidence.get("runs", [])
    restore_root = Path(str(parameters.get("restore_root") or "dist/backfill"))
    state = find_backfill_state(restore_root, {r["id"] for r in runs[1:]})
    rows = datasets(state)
    limit = parameters.get("concurrency_limit")
    limit = limit if isinstance(limit, int) else None
    builder.concurrency.update({"limit": limit, "max_observed": max_overlap(runs[1:]),
                                "deployment": parameters.get("_deployment_concurrency_limit")})
    shown = {k: v for k, v in sorted(parameters.items()) if not k.startswith("_")}
    builder.extra["prefect"] = {"api_url": api_url, "local_server": local,
                                "deployment": evidence.get("deployment"), "parameters": shown,
                                "flow_runs": _with_datasets(public(runs), state)}
    builder.extra["datasets"] = rows
    builder.extra["guardrails"] = guardrails(runs, limit, rows) if runs else [
        {"id": "run.completed", "status": FAIL, "message": "the backfill never ran"}]
    builder.counts.update(_counts(rows, runs))
    if evidence.get("qa") is not None:
        builder.qa = evidence["qa"].outcome()
    builder.inputs = _archive_inputs(state)


def _with_datasets(runs: list[dict[str, Any]], state: dict[str, Any] | None
                   ) -> list[dict[str, Any]]:
    by_id = {r.get("flow_run_id"): r for r in (state or {}).get("runs", [])}
    for run in runs:
        record = by_id.get(run["id"])
        if record is not None:
            run.update({"run_date": record.get("run_date"), "version": record.get("version"),
                        "records": record.get("records_out")})
    return runs


def _counts(rows: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, int]:
    def total(key: str) -> int:
        return sum(int(r.get(key) or 0) for r in rows)

    return {"flow_runs": len(runs), "child_runs": max(len(runs) - 1, 0),
            "backfill_runs": len(rows),
            "completed": sum(1 for r in rows if r.get("status") == "completed"),
            "failed": sum(1 for r in rows if r.get("status") == "failed"),
            "records_in": total("records_in"), "records_out": total("records_out"),
            "rejected": total("rejected")}


def _archive_inputs(state: dict[str, Any] | None) -> list[dict[str, object]]:
    from hotpass.bundles.summary import input_entries

    paths = [Path(r["archive_path"]) for r in (state or {}).get("runs", [])
             if r.get("archive_path")]
    return input_entries([p for p in paths if p.is_file()], root=Path.cwd())
