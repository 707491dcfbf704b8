"""`invoke deploy.*`: the `hotpass deploy` modes as tasks (same library call, same output)."""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from hotpass.paths import DEFAULT_MANIFEST_DIR, DEFAULT_OUTPUT_DIR
from hotpass.tasks._boundary import reports_errors

FLAG_HELP = {
    "manifest_dir": "manifest set directory (default: deploy.manifest_dir = prefect)",
    "flow": "only this manifest id (repeatable)",
    "json": "print one JSON document instead of the table",
}
EXPORT_HELP = {**FLAG_HELP,
               "output_dir": "where export writes <id>.json (default: dist/offline/prefect)"}


def _deploy(c: Context, manifest_dir: str | None, flow: list[str], *, as_json: bool,
            **options: object) -> None:
    from hotpass.commands._render import emit
    from hotpass.commands.deploy import render
    from hotpass.deploy.service import DeployRequest, run_deploy

    result = run_deploy(DeployRequest(
        manifest_dir=Path(manifest_dir or c.config.deploy.manifest_dir),
        flow_ids=tuple(flow or ()), **options))  # type: ignore[arg-type]
    emit(as_json, result.to_json(), render(result))
    if result.exit_code:
        raise Exit(code=result.exit_code)


@task(help=FLAG_HELP, iterable=["flow"])
@reports_errors
def validate(c: Context, manifest_dir: str | None = None, flow: list[str] | None = None,
             json: bool = False) -> None:
    """Validate every manifest and build its Prefect deployment; write nothing, no server."""
    _deploy(c, manifest_dir, flow or [], as_json=json, dry_run=True, no_upload=True)


@task(help=EXPORT_HELP, iterable=["flow"])
@reports_errors
def export(c: Context, manifest_dir: str | None = None, flow: list[str] | None = None,
           output_dir: str | None = None, json: bool = False) -> None:
    """Write each deployment's Prefect API payload as JSON (no server needed)."""
    target = Path(output_dir or c.config.deploy.output_dir)
    _deploy(c, manifest_dir, flow or [], as_json=json, no_upload=True, output_dir=target)


SERVER_HELP = {**FLAG_HELP, "prune": "also delete managed deployments not in the set",
               "api_url": "Prefect API URL (default: PREFECT_API_URL, then .hotpass/)",
               "build_image": "build each manifest's image (needs a Docker engine)",
               "push_image": "push the built images",
               "no_cache": "rebuild the desired state instead of using .hotpass/cache"}


@task(help={k: v for k, v in SERVER_HELP.items() if not k.endswith("_image")},
      iterable=["flow"])
@reports_errors
def plan(  # noqa: PLR0913 - Invoke maps one parameter per CLI flag
        c: Context, manifest_dir: str | None = None, flow: list[str] | None = None,
        prune: bool = False, api_url: str | None = None, no_cache: bool = False,
        json: bool = False) -> None:
    """Compare the manifests with the server: create/update/unchanged(/delete); write nothing."""
    _deploy(c, manifest_dir, flow or [], as_json=json, dry_run=True, prune=prune,
            api_url=api_url, use_cache=not no_cache)


@task(help=SERVER_HELP, iterable=["flow"])
@reports_errors
def apply(  # noqa: PLR0913 - Invoke maps one parameter per CLI flag
        c: Context, manifest_dir: str | None = None, flow: list[str] | None = None,
        prune: bool = False, api_url: str | None = None, build_image: bool = False,
        push_image: bool = False, no_cache: bool = False, json: bool = False) -> None:
    """Plan, then write only the creates, updates (and with --prune, deletes)."""
    _deploy(c, manifest_dir, flow or [], as_json=json, prune=prune, api_url=api_url,
            build_image=build_image, push_image=push_image, use_cache=not no_cache)


collection = Collection("deploy", validate, export, plan, apply)
collection.configure({"deploy": {"manifest_dir": str(DEFAULT_MANIFEST_DIR),
                                 "output_dir": str(DEFAULT_OUTPUT_DIR)}})
