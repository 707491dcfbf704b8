"""`hotpass run DEPLOYMENT_ID`: trigger a deployment's flow run, optionally wait for it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hotpass.commands._render import emit
from hotpass.errors import UsageError
from hotpass.paths import DEFAULT_MANIFEST_DIR

EXAMPLES = """examples:
  hotpass run refinement                              trigger by manifest id
  hotpass run refinement --params '{"since": "2024-06-01"}' --wait --timeout 600
  hotpass run hotpass-refinement-pipeline/hotpass-refinement --wait
exit codes: 0 triggered (with --wait: the run Completed), 1 the run ended in any other state or
timed out, 2 bad id or --params, 3 Prefect unreachable.
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "run", parents=[common], help="trigger a deployment's flow run (and wait for it)",
        description="Trigger a run of a registered deployment, by manifest id, by "
        "FLOW-NAME/DEPLOYMENT-NAME or by deployment UUID. --params merge over the deployment's "
        "defaults.", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("deployment", metavar="DEPLOYMENT_ID",
                        help="manifest id, flow-name/deployment-name, or UUID")
    parser.add_argument("--params", metavar="JSON", default="{}",
                        help="JSON object of parameter overrides")
    parser.add_argument("--wait", action="store_true", help="follow the run to a final state")
    parser.add_argument("--timeout", type=float, default=3600.0, metavar="S",
                        help="with --wait: give up after S seconds (exit 1)")
    parser.add_argument("--manifest-dir", type=Path, default=DEFAULT_MANIFEST_DIR, metavar="DIR",
                        help="where manifest ids are looked up (default: prefect)")
    parser.add_argument("--api-url", metavar="URL",
                        help="Prefect API URL (default: PREFECT_API_URL, then .hotpass/)")
    parser.set_defaults(handler=_run)


def parse_params(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--params is not valid JSON ({exc})",
                         hint='pass an object, e.g. --params \'{"since": "2024-06-01"}\'') from exc
    if not isinstance(value, dict):
        raise UsageError("--params must be a JSON object of parameter names to values")
    return value


def _run(args: argparse.Namespace) -> int:
    from hotpass.prefect_local.runs import launch

    result = launch(args.deployment, parse_params(args.params), wait=args.wait,
                    timeout=args.timeout, api_url=args.api_url, manifest_dir=args.manifest_dir)
    emit(args.json, result.to_json(), render(result))
    return result.exit_code


def render(result: Any) -> str:
    lines = [f"triggered {result.deployment}: flow run {result.flow_run_id}"]
    outcome = result.outcome
    if outcome is not None:
        lines.append(f"{outcome.flow_run_name} ended {outcome.state} after "
                     f"{outcome.duration:.1f}s" + (f": {outcome.message}" if outcome.message
                                                    and not outcome.completed else ""))
    return "\n".join(lines)
