"""What one backfill run is (`RunSpec`), what came of it (`RunOutcome`), and the default way to
execute it in this process: safe-extract the archive, then refine the restored inputs."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hotpass.backfill.extract import DEFAULT_MAX_BYTES, safe_extract
from hotpass.backfill.state import utc_now
from hotpass.errors import HotpassError


@dataclass(frozen=True)
class RunSpec:
    """Everything a run needs, as plain values (it crosses process boundaries)."""

    backfill_id: str
    run_date: str
    version: str
    archive_path: str
    restore_dir: str
    output_path: str
    profile_name: str
    attempt: int = 1
    archive: bool = False
    rebundle_root: str | None = None
    max_extract_bytes: int = DEFAULT_MAX_BYTES
    flow_run_id: str | None = None  # set when resuming a run a killed backfill had submitted

    @property
    def label(self) -> str:
        return f"{self.run_date}--{self.version}"

    @property
    def idempotency_key(self) -> str:
        """`<backfill-id>/<date>/<version>`; a deliberate re-run gets `/attempt-N` so it is new."""
        base = f"{self.backfill_id}/{self.run_date}/{self.version}"
        return base if self.attempt <= 1 else f"{base}/attempt-{self.attempt}"


@dataclass(frozen=True)
class RunOutcome:
    run_date: str
    version: str
    status: str
    started_at: str
    finished_at: str
    seconds: float
    executor: str
    records_in: int | None = None
    records_out: int | None = None
    rejected: int | None = None
    error: str | None = None
    flow_run_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.run_date}--{self.version}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def failed_outcome(spec: RunSpec, error: str, *, executor: str, started_at: str | None = None,
                   seconds: float = 0.0, flow_run_id: str | None = None) -> RunOutcome:
    now = utc_now()
    return RunOutcome(run_date=spec.run_date, version=spec.version, status="failed",
                      started_at=started_at or now, finished_at=now, seconds=round(seconds, 3),
                      executor=executor, error=error, flow_run_id=flow_run_id)


def restore(spec: RunSpec) -> None:
    """Extract the run's archive into its restore folder (raises ArchiveError when refused)."""
    safe_extract(Path(spec.archive_path), Path(spec.restore_dir),
                 max_bytes=spec.max_extract_bytes)


def execute_run(spec: RunSpec) -> RunOutcome:
    """Restore and refine one run here; never raises (a failure is an outcome)."""
    started_at, clock = utc_now(), time.perf_counter()
    try:
        restore(spec)
        counts = _refine(spec)
    except HotpassError as exc:
        return failed_outcome(spec, exc.message, executor="local", started_at=started_at,
                              seconds=time.perf_counter() - clock)
    except Exception as exc:  # a run's crash must not end the backfill; it is recorded
        return failed_outcome(spec, f"{type(exc).__name__}: {exc}", executor="local",
                              started_at=started_at, seconds=time.perf_counter() - clock)
    exit_code = counts["exit_code"]
    error = None if exit_code == 0 else f"refinement finished with exit code {exit_code}"
    return RunOutcome(run_date=spec.run_date, version=spec.version,
                      status="completed" if exit_code == 0 else "failed",
                      started_at=started_at, finished_at=utc_now(),
                      seconds=round(time.perf_counter() - clock, 3), executor="local",
                      error=error, records_in=counts["records_in"],
                      records_out=counts["records_out"], rejected=counts["rejected"])


def _refine(spec: RunSpec) -> dict[str, int]:
    from hotpass.refine.pipeline import RefineRequest, run_refinement

    restore_root = Path(spec.restore_dir).parent
    request = RefineRequest(
        input_dir=Path(spec.restore_dir), output_path=Path(spec.output_path),
        profile=spec.profile_name, archive=spec.archive,
        archive_root=Path(spec.rebundle_root or restore_root / "archive"),
        incremental=False, since=None, state_dir=restore_root / "state",
        run_id=spec.idempotency_key.replace("/", "--"),
    )
    result = run_refinement(request)
    return {"records_in": result.records_in, "records_out": result.records_out,
            "rejected": result.rejected, "exit_code": result.exit_code}
