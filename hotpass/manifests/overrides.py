"""Command-line overrides (`--name`, `--schedule`, `--work-pool`) applied to selected specs."""

from __future__ import annotations

from dataclasses import replace

from hotpass.errors import UsageError
from hotpass.manifests.spec import DeploymentSpec, ScheduleSpec


def apply_overrides(specs: list[DeploymentSpec], *, name: str | None = None,
                    schedule: str | None = None,
                    work_pool: str | None = None) -> list[DeploymentSpec]:
    """`schedule` is a cron string or `none` (no schedule). `--name` needs exactly one spec, since
    two deployments of one flow cannot share a name."""
    if name is not None and len(specs) != 1:
        raise UsageError(f"--name renames one deployment, but {len(specs)} are selected",
                         hint="add --flow ID to select one")
    result = []
    for spec in specs:
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = name
        if work_pool is not None:
            changes["work_pool"] = work_pool
        if schedule is not None:
            changes["schedule"] = _schedule_override(spec, schedule)
        result.append(replace(spec, **changes))  # type: ignore[arg-type]
    return result


def _schedule_override(spec: DeploymentSpec, value: str) -> ScheduleSpec | None:
    if value.strip().lower() == "none":
        return None
    from hotpass.manifests.check import build_prefect_schedule

    timezone = spec.schedule.timezone if spec.schedule else None
    active = spec.schedule.active if spec.schedule else True
    try:
        build_prefect_schedule({"kind": "cron", "value": value, "timezone": timezone})
    except Exception as exc:
        raise UsageError(f"--schedule '{value}' is not a valid cron string ({exc})",
                         hint="use five cron fields, e.g. '0 6 * * *', or 'none'") from exc
    return ScheduleSpec(kind="cron", value=value, timezone=timezone, active=active)
