"""`invoke offline.bootstrap|run`: the offline fallback (no Prefect server needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from hotpass.tasks._boundary import reports_errors

HELP = {
    "bundle_dir": "bundle folder (default offline.bundle_dir = dist/offline)",
    "input_dir": "folder of input spreadsheets (default offline.input_dir = data)",
    "profile": "refinement profile (default offline.profile = aviation)",
    "manifest_dir": "manifest set to validate and export (default prefect)",
    "target": "environment name of the env file (default local → .env.local)",
    "archive": "archive the inputs read into <bundle>/archive (default; --no-archive to skip)",
    "json": "print one JSON document instead of text",
}


def _request(c: Context, **given: Any) -> Any:
    from hotpass.bundles.masking import secrets_from_environ
    from hotpass.offline import OfflineRequest
    from hotpass.tasks._step_render import render_step

    conf = c.config.offline
    values = {k: (v if v is not None else conf[k]) for k, v in given.items()}
    return OfflineRequest(
        bundle_dir=Path(values["bundle_dir"]), input_dir=Path(values["input_dir"]),
        profile=str(values["profile"]), manifest_dir=Path(values["manifest_dir"]),
        target=str(values["target"]), archive=bool(values["archive"]),
        secrets=tuple(secrets_from_environ(os.environ)), render=render_step)


@task(help=HELP)
@reports_errors
def run(  # noqa: PLR0913 - each parameter is a task flag
        c: Context, bundle_dir: str | None = None, input_dir: str | None = None,
        profile: str | None = None, manifest_dir: str | None = None, target: str | None = None,
        archive: bool = True, json: bool = False) -> None:
    """Env file, refine, qa all, deploy --no-upload --dry-run then --no-upload → dist/offline/."""
    from hotpass.commands._render import emit
    from hotpass.offline import run_offline

    result = run_offline(_request(c, bundle_dir=bundle_dir, input_dir=input_dir,
                                  profile=profile, manifest_dir=manifest_dir, target=target,
                                  archive=archive))
    emit(json, result.to_json(), render_offline(result))
    if result.exit_code:
        failed = next(s for s in result.steps if not s.ok)
        raise Exit(f"offline run failed at step {failed.name}: {failed.message}",
                   code=result.exit_code)


def render_offline(result: Any) -> str:
    from hotpass.tasks._step_render import render_bundle, render_steps

    return "\n".join([render_steps(result.steps), "", *render_bundle("offline", result),
                      f"replay by hand: sh {result.bundle_dir.as_posix()}/cli.sh"])


@task(help={k: HELP[k] for k in ("bundle_dir", "target", "json")})
@reports_errors
def bootstrap(c: Context, bundle_dir: str | None = None, target: str | None = None,
              json: bool = False) -> None:
    """Only the env step: show the env file (dry run, secrets masked), then write it."""
    from hotpass.commands._render import emit
    from hotpass.envfile import write_env_file
    from hotpass.offline import env_request

    request = _request(c, bundle_dir=bundle_dir, input_dir=None, profile=None,
                       manifest_dir=None, target=target, archive=None)
    preview = write_env_file(env_request(request, dry_run=True))
    written = write_env_file(env_request(request))
    emit(json, {"dry_run": preview.to_json(), "written": written.to_json()},
         preview.render_text() + "\n" + written.render_text())


collection = Collection("offline", run, bootstrap)
collection.configure({"offline": {"bundle_dir": "dist/offline", "input_dir": "data",
                                  "profile": "aviation", "manifest_dir": "prefect",
                                  "target": "local", "archive": True}})
