"""Renders a recorded step's result exactly as the equivalent `hotpass …` command prints it
(used by the offline, rehearse and demo tasks so cli.log reads like a terminal session)."""

from __future__ import annotations

from typing import Any

from hotpass.bundles.steps import json_renderer


def render_step(step: str, result: Any) -> str:
    from hotpass.commands import deploy, qa, refine, run, server

    kind = step.split("-")[0]
    if hasattr(result, "render_text"):
        return str(result.render_text())
    if kind == "refine":
        return refine.render_text(result.to_json())
    if kind == "qa":
        return qa.render(result)
    if kind == "deploy":
        return deploy.render(result)
    if kind == "run":
        return run.render(result)
    if kind == "server" and hasattr(result, "api_url"):
        return server.render_started(result)
    if kind == "worker" and hasattr(result, "pool"):
        return server.render_worker(result)
    return json_renderer(step, result)


def render_steps(steps: Any) -> str:
    """A closing table of the steps (name, status, exit code, seconds)."""
    from hotpass.commands._render import table

    rows = [(s.name, s.status, s.exit_code, f"{s.seconds:.1f}") for s in steps]
    return table(("step", "status", "exit", "seconds"), rows)


def render_bundle(label: str, result: Any) -> list[str]:
    """Where a bundle is and what it holds (`result` has `bundle_dir` and `summary`)."""
    bundle = result.bundle_dir.as_posix()
    return [f"{label} bundle: {bundle}/ ({result.summary['status']})",
            *(f"  {bundle}/{name}" for name in result.summary["outputs"]),
            f"  {bundle}/summary.json", f"  {bundle}/SHA256SUMS"]
