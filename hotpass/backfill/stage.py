"""Stage a folder of inputs as the archive of one day (`invoke backfill.stage`): the same
bundle `hotpass refine --archive` writes, `<archive-root>/<date>/hotpass-inputs-vN.zip` with
SHA256SUMS inside, so a backfill can replay it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hotpass.errors import UsageError


@dataclass(frozen=True)
class StageResult:
    archive_path: Path
    run_date: date
    files: list[str]

    @property
    def version(self) -> str:
        return self.archive_path.stem.removeprefix("hotpass-inputs-")

    def to_json(self) -> dict[str, Any]:
        return {"archive_path": str(self.archive_path), "run_date": self.run_date.isoformat(),
                "version": self.version, "files": self.files}


def stage_inputs(input_dir: Path, archive_root: Path, run_date: date) -> StageResult:
    from hotpass.refine.archive import archive_inputs
    from hotpass.refine.inputs import list_inputs

    if not input_dir.is_dir():
        raise UsageError(f"input folder not found: {input_dir}", hint="check --input-dir")
    files = list_inputs(input_dir)
    if not files:
        raise UsageError(f"no spreadsheets or CSV files under {input_dir}",
                         hint="the folder must hold .xlsx, .xlsm, .xls, .ods or .csv files")
    archive = archive_inputs(files, archive_root, run_date, base_dir=input_dir)
    return StageResult(archive, run_date,
                       [p.relative_to(input_dir).as_posix() for p in files])
