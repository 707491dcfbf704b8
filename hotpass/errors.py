"""The one error base. Each subclass carries the user-facing message and the exit code (design §8).

The library raises these; only the CLI / Invoke boundary turns them into output and an exit code.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PREFECT = 3
EXIT_INTERRUPTED = 130


class HotpassError(Exception):
    """Base of every error hotpass reports to a user."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The message as shown to a user, with the next step when there is one."""
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def to_json(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint,
                "exit_code": self.exit_code}


class UsageError(HotpassError):
    """Bad input or usage: an unknown flag value, a missing file, an unknown id."""

    exit_code = EXIT_USAGE


class ManifestError(UsageError):
    """One or more deployment manifests are invalid; `problems` holds every one of them."""

    def __init__(self, problems: list[str]) -> None:
        count = len(problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the deployment manifests:"
        super().__init__("\n".join([header, *(f"  {p}" for p in problems)]),
                         hint="fix the manifests above and run again; nothing was registered")
        self.problems = problems

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "problems": self.problems}


class ProfileError(UsageError):
    """A refinement profile is invalid or unknown."""


class ArchiveError(UsageError):
    """An archive is unsafe, missing or unreadable."""


class WorkFailed(HotpassError):
    """The work ran and failed: a QA check, an expectation, a flow run."""

    exit_code = EXIT_FAILED


class PrefectUnavailable(HotpassError):
    """The Prefect server is unreachable or answered with an API error."""

    exit_code = EXIT_PREFECT
