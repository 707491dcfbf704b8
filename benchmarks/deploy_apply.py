"""Benchmark: `hotpass deploy` vs `prefect deploy --all` on 50 generated deployments.

Against one fresh local Prefect server (SQLite, started and stopped here), in the same run,
the two tools interleaved (best of 2 cold runs on fresh names, best of 3 re-runs):
  - `hotpass deploy` cold (50 creates) and on an unchanged re-apply (0 writes), run from the
    temp folder so its desired-state cache (.hotpass/cache) is the one the cold run filled,
    as a user's would be;
  - `prefect deploy --all` with an equivalent prefect.yaml (other names, same flow, pool,
    schedule, parameters, tags), cold and re-run;
  - `hotpass --help` start-up.
Every figure is the wall time of the command line as a user runs it (a fresh process), after a
warm-up that lets both tools' bytecode be cached (in a private PYTHONPYCACHEPREFIX, as on a
developer machine where Python writes .pyc files; the venv is not touched).
Targets (issue 4): cold ≥ 2.5× faster, unchanged re-apply ≥ 10× faster, --help ≤ 0.3 s.

    .venv/bin/python benchmarks/deploy_apply.py [--count 50]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POOL = "bench-pool"
PARAMS = {"input_dir": "data", "output_path": "dist/refined.xlsx", "profile_name": "aviation",
          "archive": False, "dist_dir": "dist", "backfill": False, "incremental": True,
          "since": None}


def write_manifests(directory: Path, count: int, prefix: str) -> None:
    directory.mkdir(parents=True)
    for index in range(count):
        (directory / f"{prefix}-{index:02d}.yaml").write_text(json.dumps({
            "id": f"{prefix}-{index:02d}", "name": f"{prefix}-{index:02d}",
            "flow": "hotpass.orchestration:refinement_pipeline_flow",
            "description": f"benchmark deployment {index}", "tags": ["bench"],
            "schedule": {"kind": "cron", "value": f"{index % 60} 6 * * *", "timezone": "UTC"},
            "parameters": PARAMS, "work_pool": POOL}, indent=2) + "\n")  # JSON is YAML


def write_prefect_yaml(path: Path, count: int, prefix: str) -> None:
    deployments = [{
        "name": f"{prefix}-{index:02d}",
        "entrypoint": "hotpass/orchestration.py:refinement_pipeline_flow",
        "description": f"benchmark deployment {index}", "tags": ["bench"],
        "schedules": [{"cron": f"{index % 60} 6 * * *", "timezone": "UTC",
                       "slug": f"{prefix}-{index:02d}"}],
        "parameters": PARAMS, "work_pool": {"name": POOL, "work_queue_name": None,
                                            "job_variables": {}},
    } for index in range(count)]
    document = {"name": "hotpass-bench", "prefect-version": "3.8.8", "build": None,
                "push": None, "pull": [{"prefect.deployments.steps.set_working_directory":
                                        {"directory": str(REPO)}}],
                "deployments": deployments}
    path.write_text(json.dumps(document, indent=2) + "\n")


def timed(argv: list[str], env: dict[str, str], cwd: Path = REPO) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:3])} … failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed


def warm_up(hotpass: list[str], env: dict[str, str]) -> None:
    """Import what both commands import once, so neither pays bytecode compilation."""
    timed([*hotpass, "--dry-run", "--no-upload"], env)
    timed([str(BIN / "python"), "-c", "import prefect.cli.deploy, prefect.deployments.runner, "
           "hotpass.orchestration"], env)


def best_of(runs: int, argv: list[str], env: dict[str, str]) -> float:
    return min(timed(argv, env) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    count = parser.parse_args().count
    sys.path.insert(0, str(REPO))
    from hotpass.prefect_local.server import start_server, stop_server

    with tempfile.TemporaryDirectory(prefix="hotpass-bench-") as tmp:
        work = Path(tmp)
        server = start_server(work / "home", timeout=180)
        try:
            env = {**os.environ, **server.env, "PYTHONPYCACHEPREFIX": str(work / "pycache")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            figures = measure(work, count, env)
        finally:
            stop_server(server)
    report(count, figures)


def measure(work: Path, count: int, env: dict[str, str]) -> dict[str, float]:
    """Interleave the two tools (the machine is shared, its load drifts) and keep the best of
    each: cold twice on fresh names, unchanged/re-run three times on the first set."""
    hotpass, prefect = [], []
    for round_ in ("a", "b"):
        write_manifests(work / f"manifests-{round_}", count, f"hp-{round_}")
        write_prefect_yaml(work / f"prefect-{round_}.yaml", count, f"pf-{round_}")
        hotpass.append([str(BIN / "hotpass"), "deploy", "--manifest-dir",
                        str(work / f"manifests-{round_}")])
        prefect.append([str(BIN / "prefect"), "--no-prompt", "deploy", "--all",
                        "--prefect-file", str(work / f"prefect-{round_}.yaml")])
    warm_up(hotpass[0], env)
    times: dict[str, list[float]] = {k: [] for k in ("hc", "pc", "hu", "pr")}
    for index in range(2):
        times["hc"].append(timed(hotpass[index], env, work))
        times["pc"].append(timed(prefect[index], env))
    for _ in range(3):
        times["hu"].append(timed(hotpass[0], env, work))
        times["pr"].append(timed(prefect[0], env))
    return {"hotpass_cold": min(times["hc"]), "prefect_cold": min(times["pc"]),
            "hotpass_unchanged": min(times["hu"]), "prefect_rerun": min(times["pr"]),
            "hotpass_help": best_of(5, [str(BIN / "hotpass"), "--help"], env)}


def report(count: int, f: dict[str, float]) -> None:
    cold = f["prefect_cold"] / f["hotpass_cold"]
    reapply = f["prefect_rerun"] / f["hotpass_unchanged"]
    lines = [
        ("hotpass deploy, cold (best of 2)", f"{f['hotpass_cold']:7.2f} s"),
        ("hotpass deploy, unchanged (best of 3)", f"{f['hotpass_unchanged']:7.2f} s"),
        ("prefect deploy --all, cold (best of 2)", f"{f['prefect_cold']:7.2f} s"),
        ("prefect deploy --all, re-run (best of 3)", f"{f['prefect_rerun']:7.2f} s"),
        ("hotpass --help (best of 5)", f"{f['hotpass_help']:7.3f} s"),
        ("cold apply speed-up", f"{cold:7.1f}x  (target >= 2.5x)"),
        ("unchanged re-apply speed-up", f"{reapply:7.1f}x  (target >= 10x)"),
    ]
    print(f"deployments: {count}  (one fresh local SQLite server, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f})")
    for label, value in lines:
        print(f"{label:<42}{value}")


if __name__ == "__main__":
    main()
