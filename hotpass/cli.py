"""`hotpass` command line: argparse → one library call → render (text or `--json`).

This module is the exit boundary: it alone turns `HotpassError` into a message on stderr and an
exit code (design §8). Nothing here imports Prefect at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from hotpass import __version__
from hotpass.errors import EXIT_INTERRUPTED, EXIT_USAGE, HotpassError

# Each entry is a module under hotpass/commands/ exposing `register(subparsers, common)`;
# `server` also registers `worker`.
COMMAND_MODULES = ("deploy", "refine", "qa", "backfill", "env", "server", "run")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser = argparse.ArgumentParser(
        prog="hotpass",
        description="Refine messy spreadsheets on Prefect 3: deploy manifests, refine, backfill, "
        "rehearse. Exit codes: 0 ok, 1 work failed, 2 bad input, 3 Prefect unreachable.",
        epilog="Run `hotpass COMMAND --help` for a command's flags and examples.",
    )
    parser.add_argument("--version", action="version", version=f"hotpass {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"hotpass.commands.{name}").register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        code: int = args.handler(args)
        return code
    except HotpassError as exc:
        if args.debug:
            logging.exception("hotpass error")
        _report(args, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED


def _report(args: argparse.Namespace, exc: HotpassError) -> None:
    if args.json:
        from hotpass.commands._render import emit

        emit(True, exc.to_json(), "")
    sys.stderr.write(f"error: {exc.render()}\n")


if __name__ == "__main__":
    sys.exit(main())
