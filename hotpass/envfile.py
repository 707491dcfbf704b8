"""Environment files for a target (`.env.<target>`): validated values, no injected lines, no
secret written that was not given, no overwrite without `force` (design §4, `hotpass env`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hotpass.bundles.masking import MASK, is_secret_name, mask_url
from hotpass.errors import UsageError
from hotpass.fsutil import atomic_write_text

_TARGET = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_VAR_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(value: str) -> bool:
    """`true|false` (also yes/no, on/off, 1/0), case-insensitive; anything else is a usage error."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise UsageError(f"expected true or false, got {value!r}",
                     hint="write --allow-network, --no-allow-network or --allow-network=false")


def validate_url(url: str, *, name: str = "--prefect-url") -> str:
    """Return `url` when it is an http(s) URL with a host and no whitespace/control character."""
    shown = mask_url(url).encode("unicode_escape").decode("ascii")
    if _CONTROL.search(url):
        raise UsageError(f"{name} '{shown}' contains a space, newline or control character",
                         hint="pass the URL on one line, e.g. http://127.0.0.1:4200/api")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UsageError(f"{name} '{shown}' is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{name} '{shown}' must be an http:// or https:// URL with a host",
                         hint="e.g. http://127.0.0.1:4200/api")
    return url


@dataclass(frozen=True)
class EnvFileRequest:
    target: str
    prefect_url: str | None = None
    allow_network: bool = False
    output: Path | None = None
    force: bool = False
    dry_run: bool = False
    api_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.output if self.output is not None else Path(f".env.{self.target}")


@dataclass(frozen=True)
class EnvFileResult:
    path: Path
    variables: dict[str, str]  # masked
    written: bool
    dry_run: bool
    existed: bool
    exit_code: int = 0

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "variables": dict(self.variables), "written": self.written,
                "dry_run": self.dry_run, "existed": self.existed}

    def render_text(self) -> str:
        body = render_env(self.variables, header=False).rstrip("\n")
        if self.dry_run:
            note = " (exists: --force needed to overwrite)" if self.existed else ""
            return f"dry run: would write {self.path}{note}:\n{body}"
        return f"wrote {self.path}:\n{body}"


def env_variables(request: EnvFileRequest) -> dict[str, str]:
    """The variables the file holds, validated; secrets only when the request carries them."""
    if not _TARGET.match(request.target):
        raise UsageError(f"--target {request.target!r} is not a valid target name",
                         hint="use lower-case letters, digits, '-' or '_', e.g. local, staging")
    values = {"HOTPASS_ENV": request.target,
              "HOTPASS_ALLOW_NETWORK": "true" if request.allow_network else "false"}
    if request.prefect_url:
        values["PREFECT_API_URL"] = validate_url(request.prefect_url)
    if request.api_key:
        values["PREFECT_API_KEY"] = _checked_value("PREFECT_API_KEY", request.api_key)
    for name, value in request.extra.items():
        if not _VAR_NAME.match(name):
            raise UsageError(f"{name!r} is not a valid environment variable name")
        values[name] = _checked_value(name, value)
    return dict(sorted(values.items()))


def masked(values: dict[str, str]) -> dict[str, str]:
    """The variables as they may be shown or logged."""
    return {k: (MASK if is_secret_name(k) else mask_url(v)) for k, v in values.items()}


def render_env(values: dict[str, str], *, header: bool = True) -> str:
    lines = ["# hotpass environment file (hotpass env); one KEY=value per line"] if header else []
    lines.extend(f"{k}={v}" for k, v in values.items())
    return "\n".join(lines) + "\n"


def write_env_file(request: EnvFileRequest) -> EnvFileResult:
    """Validate, then write `.env.<target>` atomically (or only describe it on a dry run)."""
    values = env_variables(request)
    path = request.path
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint="pass --output with a file name, e.g. "
                         f"{path / ('.env.' + request.target)}")
    existed = path.exists()
    shown = masked(values)
    if request.dry_run:
        return EnvFileResult(path, shown, written=False, dry_run=True, existed=existed)
    if existed and not request.force:
        raise UsageError(f"{path} already exists; nothing was written",
                         hint="pass --force to overwrite it, or --output to write elsewhere")
    # A file holding a secret is readable by its owner only.
    atomic_write_text(path, render_env(values), mode=0o600 if shown != values else 0o644)
    return EnvFileResult(path, shown, written=True, dry_run=False, existed=existed)


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines of an env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        key, _, value = stripped.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def _checked_value(name: str, value: str) -> str:
    if _CONTROL.search(value):
        raise UsageError(f"the value of {name} contains a space, newline or control character")
    return value
