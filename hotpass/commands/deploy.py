"""`hotpass deploy`: validate manifests, then export offline or plan/apply against Prefect."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hotpass.commands._render import emit, table
from hotpass.paths import DEFAULT_MANIFEST_DIR, DEFAULT_OUTPUT_DIR

EXAMPLES = """examples:
  hotpass deploy --dry-run --no-upload        validate and build every manifest, write nothing
  hotpass deploy --no-upload                  write payloads to dist/offline/prefect/<id>.json
  hotpass deploy --manifest-dir prefect/staging   plan and apply the staging overlay set
  hotpass deploy --flow refinement --dry-run  show the plan for one deployment
  hotpass deploy --prune                      also delete managed deployments not in the set
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "deploy", parents=[common], help="validate, plan and apply deployment manifests",
        description="Validate every manifest of a set (all problems at once, exit 2), then plan "
        "against the Prefect server and apply creates/updates, or with --no-upload build offline.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flow", dest="flow_ids", action="append", default=[], metavar="ID",
                        help="deploy only this manifest id (repeatable); default: all")
    parser.add_argument("--manifest-dir", type=Path, default=DEFAULT_MANIFEST_DIR, metavar="DIR",
                        help="manifest set: the top-level YAML files of DIR (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true",
                        help="plan only, write nothing (with --no-upload: validate and build)")
    parser.add_argument("--no-upload", action="store_true",
                        help="no server: write each deployment's API payload to --output-dir")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                        help="where --no-upload writes <id>.json (default: %(default)s)")
    parser.add_argument("--prune", action="store_true", help="also delete server deployments "
                        "tagged managed-by:hotpass that are not in the set")
    parser.add_argument("--build-image", action="store_true",
                        help="build the manifest's `image` with Docker before applying")
    parser.add_argument("--push-image", action="store_true",
                        help="push the built image to its registry")
    parser.add_argument("--name", help="override the deployment name (one deployment only)")
    parser.add_argument("--schedule", metavar="CRON|none",
                        help="override the schedule with a cron string, or `none`")
    parser.add_argument("--work-pool", metavar="POOL", help="override the work pool")
    parser.add_argument("--api-url", metavar="URL",
                        help="Prefect API URL (default: PREFECT_API_URL / the Prefect profile)")
    parser.add_argument("--no-cache", dest="use_cache", action="store_false",
                        help="neither read nor write the desired-state cache in .hotpass/cache "
                        "(validate and build everything)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from hotpass.deploy.service import DeployRequest, run_deploy

    result = run_deploy(DeployRequest(
        manifest_dir=args.manifest_dir, flow_ids=tuple(args.flow_ids), dry_run=args.dry_run,
        no_upload=args.no_upload, output_dir=args.output_dir, prune=args.prune,
        build_image=args.build_image, push_image=args.push_image, name=args.name,
        schedule=args.schedule, work_pool=args.work_pool, api_url=args.api_url,
        use_cache=args.use_cache))
    emit(args.json, result.to_json(), render(result))
    return result.exit_code


def render(result: Any) -> str:
    rows = [(r.id, r.deployment, r.action, ", ".join(r.changed_fields) or "-")
            for r in result.rows]
    lines = [table(("id", "deployment", "action", "changed fields"), rows)]
    lines += [f"wrote {r.output}" for r in result.rows if r.output]
    lines += list(result.notes)
    return "\n".join(lines)
