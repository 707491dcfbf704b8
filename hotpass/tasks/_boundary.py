"""The Invoke side's exit boundary: a HotpassError becomes a message and its exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from invoke.exceptions import Exit

from hotpass.errors import EXIT_INTERRUPTED, HotpassError

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(function: F) -> F:
    """Wrap a task body so library errors exit with the design's codes, without a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except HotpassError as exc:
            sys.stderr.write(f"error: {exc.render()}\n")
            raise Exit(code=exc.exit_code) from exc
        except KeyboardInterrupt as exc:
            raise Exit("interrupted", code=EXIT_INTERRUPTED) from exc

    return wrapper  # type: ignore[return-value]
