"""Where an incremental run remembers its last run: a JSON file under `state_dir` by default, or
a Prefect Variable when the caller has a Prefect server (the flow passes that store in).

The record cache (the normalised records of each input file, so unchanged files need not be
read again) always lives under `state_dir`; the checkpoint only says a previous run completed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Protocol

from hotpass.fsutil import atomic_write_json


class CheckpointStore(Protocol):
    def load(self, key: str) -> dict[str, Any] | None: ...

    def save(self, key: str, state: dict[str, Any]) -> None: ...


def checkpoint_key(input_dir: Path, output_path: Path, profile: str) -> str:
    """Stable name for one (inputs, output, profile) job; safe as a file or Variable name."""
    ident = f"{input_dir.resolve()}|{output_path.resolve()}|{profile}"
    return "hotpass-refine-" + hashlib.sha256(ident.encode()).hexdigest()[:16]


class FileCheckpointStore:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir

    def path(self, key: str) -> Path:
        return self.state_dir / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def save(self, key: str, state: dict[str, Any]) -> None:
        atomic_write_json(self.path(key), state)


class PrefectVariableCheckpointStore:
    """Checkpoint in a Prefect Variable named after the job key (needs PREFECT_API_URL)."""

    def load(self, key: str) -> dict[str, Any] | None:
        from prefect.variables import Variable

        value = Variable.get(key, default=None)
        return value if isinstance(value, dict) else None

    def save(self, key: str, state: dict[str, Any]) -> None:
        from prefect.variables import Variable

        Variable.set(key, state, tags=["hotpass", "checkpoint"], overwrite=True)
