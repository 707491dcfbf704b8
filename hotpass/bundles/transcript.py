"""The transcript of a bundle: `cli.log` (every step's output with UTC timestamps) and `cli.sh`
(the equivalent `hotpass …` command lines, replayable by hand). Both pass through masking, and
both are rewritten atomically after every step so a failed run still leaves them complete."""

from __future__ import annotations

import logging
import os
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hotpass.bundles.masking import mask_log_text, mask_text
from hotpass.errors import EXIT_INTERRUPTED, HotpassError
from hotpass.fsutil import atomic_write_text


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC timestamp as `2026-01-31T12:00:00Z` (seconds precision, stable width)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class StepOutput:
    """What a step's action returns: its exit code, its rendered output and any figures."""

    exit_code: int
    text: str = ""
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRecord:
    name: str
    command: str
    status: str  # ok | failed
    exit_code: int
    started_at: str
    finished_at: str
    seconds: float
    message: str = ""
    data: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "command": self.command, "status": self.status,
                "exit_code": self.exit_code, "started_at": self.started_at,
                "finished_at": self.finished_at, "seconds": round(self.seconds, 3),
                "message": self.message}


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        stamp = iso(datetime.fromtimestamp(record.created, UTC))
        self.lines.append(f"{stamp} {record.levelname} {record.name}: {record.getMessage()}")


class Transcript:
    """Runs named steps, recording each one's command, output and outcome."""

    def __init__(self, bundle_dir: Path, *, workdir: Path | None = None,
                 secrets: Iterable[str] = (), title: str = "hotpass run") -> None:
        self.bundle_dir = bundle_dir
        self.workdir = (workdir or Path.cwd()).resolve()
        self.secrets = tuple(secrets)
        self.title = title
        self.steps: list[StepRecord] = []
        self._log: list[str] = []
        self._commands: list[tuple[str, str]] = []

    @property
    def log_path(self) -> Path:
        return self.bundle_dir / "cli.log"

    @property
    def script_path(self) -> Path:
        return self.bundle_dir / "cli.sh"

    def note(self, text: str) -> None:
        """A timestamped line in cli.log that is not a step."""
        self._append(text)
        self.flush()

    def run(self, name: str, command: Sequence[str],
            action: Callable[[], StepOutput]) -> StepRecord:
        """Run `action` as step `name`; `command` is its equivalent `hotpass …` argv."""
        shown = mask_text(shlex.join(command), self.secrets) if command else ""
        self._commands.append((name, shown))
        started = utc_now()
        clock = time.perf_counter()
        self._append(f"step {name}: $ {shown}" if shown else f"step {name}: (Prefect API)")
        collector = _Collector()
        root = logging.getLogger()
        level = root.level
        root.addHandler(collector)
        root.setLevel(min(level or logging.WARNING, logging.INFO))
        try:
            outcome = _call(action)
        finally:
            root.removeHandler(collector)
            root.setLevel(level)
        for line in collector.lines:
            self._log.append(mask_log_text(line, self.secrets))
        for line in outcome.text.splitlines():
            self._append(f"  {line}")
        record = self._record(name, shown, outcome, started, time.perf_counter() - clock)
        self._append(f"step {name}: {record.status} (exit {record.exit_code}, "
                     f"{record.seconds:.2f} s)")
        self.steps.append(record)
        self.flush()
        return record

    def mark_interrupted(self) -> StepRecord:
        """Record an interruption (Ctrl-C) as a failed step, so the summary names it."""
        return self.run("interrupted", [], lambda: StepOutput(EXIT_INTERRUPTED,
                                                              "error: interrupted"))

    @property
    def failed_step(self) -> StepRecord | None:
        return next((s for s in self.steps if not s.ok), None)

    def flush(self) -> None:
        atomic_write_text(self.log_path, "\n".join(self._log) + "\n" if self._log else "")
        atomic_write_text(self.script_path, self.render_script())
        os.chmod(self.script_path, 0o755)

    def render_script(self) -> str:
        back = os.path.relpath(self.workdir, self.bundle_dir.resolve())
        lines = ["#!/bin/sh", f"# {self.title}: the equivalent hotpass commands, in order.",
                 "# Replay by hand from anywhere: sh <this file>", "set -eu",
                 f'cd "$(dirname "$0")/{back}"',
                 'if [ -x .venv/bin/hotpass ]; then PATH="$PWD/.venv/bin:$PATH"; fi']
        for name, command in self._commands:
            lines.extend(["", f"# step {name}", command] if command else
                         ["", f"# step {name}: done through the Prefect API (no hotpass command)"])
        return "\n".join(lines) + "\n"

    def _record(self, name: str, command: str, outcome: StepOutput, started: datetime,
                seconds: float) -> StepRecord:
        status = "ok" if outcome.exit_code == 0 else "failed"
        message = "" if status == "ok" else _last_line(outcome.text)
        return StepRecord(name=name, command=command, status=status,
                          exit_code=outcome.exit_code, started_at=iso(started),
                          finished_at=iso(utc_now()), seconds=seconds,
                          message=mask_log_text(message, self.secrets), data=outcome.data)

    def _append(self, text: str) -> None:
        stamp = iso(utc_now())
        for line in mask_log_text(text, self.secrets).splitlines() or [""]:
            self._log.append(f"{stamp} {line}".rstrip())


def _call(action: Callable[[], StepOutput]) -> StepOutput:
    try:
        return action()
    except HotpassError as exc:
        return StepOutput(exit_code=exc.exit_code, text=f"error: {exc.render()}")
    except Exception as exc:  # a bug in a step must still leave the log and summary
        return StepOutput(exit_code=1, text=f"error: {type(exc).__name__}: {exc}")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    error = next((ln for ln in lines if ln.startswith("error:")), None)
    return error or (lines[-1] if lines else "")
