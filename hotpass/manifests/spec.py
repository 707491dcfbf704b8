"""The validated, merged form of one deployment manifest (design §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANAGED_TAG = "managed-by:hotpass"
# Interval schedules need a fixed anchor, otherwise Prefect stamps "now" on every build and the
# deployment always looks changed (prefect-notes: Registration).
DEFAULT_INTERVAL_ANCHOR = "2024-01-01T00:00:00"


@dataclass(frozen=True)
class ScheduleSpec:
    kind: str  # cron | interval | rrule
    value: str | int | float
    timezone: str | None = None
    anchor_date: str | None = None
    active: bool = True


@dataclass(frozen=True)
class DeploymentSpec:
    id: str
    name: str
    flow: str  # "module:function"
    source: Path  # the manifest file this spec came from (the overlay, if any)
    description: str | None = None
    tags: tuple[str, ...] = ()
    schedule: ScheduleSpec | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    work_pool: str | None = None
    work_queue: str | None = None
    concurrency_limit: int | None = None
    job_variables: dict[str, Any] = field(default_factory=dict)
    enforce_parameter_schema: bool = True
    image: str | None = None

    @property
    def all_tags(self) -> tuple[str, ...]:
        """The manifest's tags plus the managed-by tag, sorted and unique."""
        return tuple(sorted({*self.tags, MANAGED_TAG}))
