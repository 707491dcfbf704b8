"""`hotpass env`: write a validated `.env.<target>` file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from hotpass.commands._render import emit

EPILOG = """examples:
  hotpass env --target local --dry-run
  hotpass env --target staging --prefect-url https://prefect.staging.example/api --allow-network
  hotpass env --target local --no-allow-network --output dist/offline/.env.local --force
  PREFECT_API_KEY=... hotpass env --target staging --prefect-url URL --api-key-env PREFECT_API_KEY
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "env", parents=[common], help="write a validated .env.<target> file",
        description="Write .env.<target> with HOTPASS_ENV, HOTPASS_ALLOW_NETWORK and, when given, "
        "PREFECT_API_URL (and PREFECT_API_KEY). Values are validated; secrets are masked in "
        "output; an existing file is only overwritten with --force.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", required=True, help="environment name, e.g. local, staging, prod")
    p.add_argument("--prefect-url", help="Prefect API URL, e.g. http://127.0.0.1:4200/api")
    p.add_argument("--allow-network", nargs="?", const="true", default="false",
                   metavar="true|false", help="allow network access (default false); "
                   "--allow-network alone means true")
    p.add_argument("--no-allow-network", dest="allow_network", action="store_const",
                   const="false", help="same as --allow-network=false")
    p.add_argument("--api-key-env", metavar="VAR",
                   help="name of an environment variable holding the Prefect API key to write")
    p.add_argument("--output", type=Path, help="file to write (default .env.<target>)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be written (secrets masked); write nothing")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from hotpass.envfile import EnvFileRequest, parse_bool, write_env_file
    from hotpass.errors import UsageError

    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            raise UsageError(f"--api-key-env {args.api_key_env}: that variable is not set")
    result = write_env_file(EnvFileRequest(
        target=args.target, prefect_url=args.prefect_url,
        allow_network=parse_bool(args.allow_network), output=args.output, force=args.force,
        dry_run=args.dry_run, api_key=api_key))
    emit(args.json, result.to_json(), result.render_text())
    return result.exit_code
