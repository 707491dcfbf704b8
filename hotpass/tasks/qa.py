"""`invoke qa.all|manifests|lint|test`: the QA suites (same library call as `hotpass qa`) and the
developer checks (ruff + mypy, pytest)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from hotpass.paths import DEFAULT_MANIFEST_DIR
from hotpass.tasks._boundary import reports_errors

if TYPE_CHECKING:
    from hotpass.qa.runner import QaRequest

HELP = {
    "manifest_dir": "manifest set (default qa.manifest_dir = prefect)",
    "profile": "profile name or file (default: built-ins; aviation for data)",
    "input": "input folder to refine or a refined output file (default data)",
    "output": "report file (default dist/qa-report.json)",
    "data_docs": "data docs folder (default dist/data-docs)",
    "json": "print one JSON document instead of the table",
}


def _qa(request: QaRequest, as_json: bool) -> None:
    from hotpass.commands._render import emit
    from hotpass.commands.qa import render
    from hotpass.qa.runner import run_qa

    report = run_qa(request)
    emit(as_json, report.to_json(), render(report))
    if report.exit_code:
        raise Exit(code=report.exit_code)


def _path(c: Context, name: str, given: str | None) -> Path:
    """The option as given, else the `qa` config default."""
    return Path(given if given is not None else c.config.qa[name])


@task(name="all", help=HELP)
@reports_errors
def all_(c: Context, manifest_dir: str | None = None, profile: str | None = None,
         input: str | None = None, output: str | None = None, data_docs: str | None = None,
         json: bool = False) -> None:
    """Every QA suite: manifests, profiles, data, archives (= `hotpass qa all`)."""
    from hotpass.qa.runner import SUITES, QaRequest

    _qa(QaRequest(suites=SUITES, manifest_dir=_path(c, "manifest_dir", manifest_dir),
                  profile=profile if profile is not None else c.config.qa.profile,
                  input=_path(c, "input", input), output=_path(c, "output", output),
                  data_docs=_path(c, "data_docs", data_docs)), json)


@task(help={k: HELP[k] for k in ("manifest_dir", "output", "json")})
@reports_errors
def manifests(c: Context, manifest_dir: str | None = None, output: str | None = None,
              json: bool = False) -> None:
    """Manifests valid (with overlays) and stating incremental and backfill explicitly."""
    from hotpass.qa.runner import QaRequest

    _qa(QaRequest(suites=("manifests",), manifest_dir=_path(c, "manifest_dir", manifest_dir),
                  output=_path(c, "output", output), data_docs=None), json)


@task
def lint(c: Context) -> None:
    """ruff over the code and tests, mypy --strict over hotpass/."""
    bin_dir = Path(sys.executable).parent
    c.run(f"{bin_dir}/ruff check hotpass tests benchmarks scripts tasks.py", pty=False)
    c.run(f"{bin_dir}/mypy", pty=False)


@task(help={"args": "extra pytest arguments, e.g. '-m \"not integration\"'"})
def test(c: Context, args: str = "") -> None:
    """The whole test suite in parallel (pytest -n auto)."""
    bin_dir = Path(sys.executable).parent
    c.run(f"{bin_dir}/pytest -n auto {args}".rstrip(), pty=False)


collection = Collection("qa", all_, manifests, lint, test)
collection.configure({"qa": {"manifest_dir": str(DEFAULT_MANIFEST_DIR), "profile": None,
                             "input": "data", "output": "dist/qa-report.json",
                             "data_docs": "dist/data-docs"}})
