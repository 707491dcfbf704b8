"""`make demo`: the main job end to end. Prints each step and where its outputs landed."""

from __future__ import annotations

import sys
from pathlib import Path

from hotpass.errors import HotpassError


def main(project_dir: Path) -> int:
    from hotpass.commands.deploy import render
    from hotpass.deploy.service import DeployRequest, run_deploy

    try:
        for step, request in (
            ("validate manifests", DeployRequest(dry_run=True, no_upload=True)),
            ("export Prefect payloads", DeployRequest(no_upload=True)),
        ):
            print(f"== {step}", flush=True)
            print(render(run_deploy(request)), flush=True)
    except HotpassError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    print(f"\noutputs: {project_dir / 'dist'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd()))
