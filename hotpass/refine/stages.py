"""What each stage of the refinement (ingest → refine → write) hands to the next. Plain data:
the stage modules (hotpass.refine.steps, hotpass.refine.finish) import it, never the other way
round (it imports only the data types it carries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from hotpass.refine.ingest import FileResult
from hotpass.refine.profile import Profile
from hotpass.refine.request import RefineRequest


@dataclass
class Ingested:
    request: RefineRequest
    profile: Profile
    run_id: str
    started_at: datetime
    job_key: str
    files: list[Path]
    results: list[FileResult]
    checkpoint_found: bool
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Refined:
    ingested: Ingested
    rows: pl.DataFrame  # the refined sheet, one row per organisation
    issues: pl.DataFrame  # the issues sheet
    expectations: list[dict[str, Any]]
    records_in: int
    rejected: int
    duplicates_merged: int
