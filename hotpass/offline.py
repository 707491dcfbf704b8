"""The offline fallback (design §5): env file, refine (+ archive), qa all, deploy export — no
server — into one evidence bundle (`dist/offline/`) with cli.log, cli.sh, summary.json and
SHA256SUMS. A failed step stops the run; the bundle still says which step failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.bundles.finish import finish_bundle
from hotpass.bundles.steps import Renderer, json_renderer, prepare_bundle_dir, run_step
from hotpass.bundles.summary import SummaryBuilder, input_entries
from hotpass.bundles.transcript import StepRecord, Transcript, iso, utc_now
from hotpass.paths import DEFAULT_MANIFEST_DIR

Step = tuple[str, list[str], Any]
# What an offline bundle holds; a folder with only these (e.g. `prefect/` written by a plain
# `hotpass deploy --no-upload`, whose default is dist/offline/prefect) may be emptied.
BUNDLE_CONTENTS = ("refined.xlsx", "qa-report.json", "prefect", "archive", "data-docs")


@dataclass(frozen=True)
class OfflineRequest:
    bundle_dir: Path = Path("dist/offline")
    input_dir: Path = Path("data")
    profile: str = "aviation"
    manifest_dir: Path = DEFAULT_MANIFEST_DIR
    target: str = "local"
    archive: bool = True
    secrets: tuple[str, ...] = ()
    render: Renderer = json_renderer

    @property
    def env_path(self) -> Path:
        return self.bundle_dir / f".env.{self.target}"

    @property
    def archive_root(self) -> Path:
        return self.bundle_dir / "archive"


@dataclass(frozen=True)
class OfflineResult:
    bundle_dir: Path
    summary: dict[str, Any]
    steps: tuple[StepRecord, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        failed = next((s for s in self.steps if not s.ok), None)
        return failed.exit_code if failed else 0

    def to_json(self) -> dict[str, Any]:
        return {"bundle": self.bundle_dir.as_posix(), "status": self.summary["status"],
                "failed_step": self.summary["failed_step"],
                "steps": [s.to_json() for s in self.steps],
                "outputs": self.summary["outputs"]}


def run_offline(request: OfflineRequest) -> OfflineResult:
    """Run every step in order into `request.bundle_dir` (relative paths are taken from the
    current directory, which cli.sh returns to before replaying)."""
    prepare_bundle_dir(request.bundle_dir, known=BUNDLE_CONTENTS)
    started = iso(utc_now())
    transcript = Transcript(request.bundle_dir, secrets=request.secrets,
                            title="hotpass offline fallback")
    try:
        for name, command, call in offline_steps(request):
            record = run_step(transcript, name, command, call, request.render)
            if not record.ok:
                break
    except KeyboardInterrupt:
        transcript.mark_interrupted()
        finish_offline(request, transcript, started)
        raise
    return finish_offline(request, transcript, started)


def offline_steps(request: OfflineRequest) -> list[Step]:
    return [env_step(request), refine_step(request), qa_step(request),
            *deploy_steps(request)]


def env_request(request: OfflineRequest, *, dry_run: bool = False) -> Any:
    from hotpass.envfile import EnvFileRequest

    return EnvFileRequest(target=request.target, allow_network=False, output=request.env_path,
                          force=True, dry_run=dry_run)


def env_step(request: OfflineRequest, *, dry_run: bool = False) -> Step:
    from hotpass.envfile import write_env_file

    env = env_request(request, dry_run=dry_run)
    command = ["hotpass", "env", "--target", request.target, "--no-allow-network",
               "--output", str(request.env_path), "--force", *(["--dry-run"] if dry_run else [])]
    return ("env-dry-run" if dry_run else "env", command, lambda: write_env_file(env))


def refine_step(request: OfflineRequest) -> Step:
    from hotpass.refine.pipeline import RefineRequest, run_refinement

    output = request.bundle_dir / "refined.xlsx"
    refine = RefineRequest(input_dir=request.input_dir, output_path=output,
                           profile=request.profile, archive=request.archive,
                           archive_root=request.archive_root)
    command = ["hotpass", "refine", "--input-dir", str(request.input_dir),
               "--output-path", str(output), "--profile", request.profile]
    if request.archive:
        command += ["--archive", "--archive-root", str(request.archive_root)]
    return ("refine", command, lambda: run_refinement(refine))


def qa_step(request: OfflineRequest) -> Step:
    from hotpass.qa.runner import SUITES, QaRequest, run_qa

    bundle = request.bundle_dir
    qa = QaRequest(suites=SUITES, manifest_dir=request.manifest_dir, profile=request.profile,
                   input=bundle / "refined.xlsx",
                   archive_root=request.archive_root if request.archive else None,
                   output=bundle / "qa-report.json", data_docs=bundle / "data-docs")
    command = ["hotpass", "qa", "all", "--manifest-dir", str(request.manifest_dir),
               "--profile", request.profile, "--input", str(qa.input)]
    if request.archive:
        command += ["--archive-root", str(request.archive_root)]
    command += ["--output", str(qa.output), "--data-docs", str(qa.data_docs)]
    return ("qa", command, lambda: run_qa(qa))


def deploy_steps(request: OfflineRequest) -> list[Step]:
    from hotpass.deploy.service import DeployRequest, run_deploy

    out = request.bundle_dir / "prefect"
    base = ["hotpass", "deploy", "--manifest-dir", str(request.manifest_dir), "--no-upload"]
    plan = DeployRequest(manifest_dir=request.manifest_dir, dry_run=True, no_upload=True)
    export = DeployRequest(manifest_dir=request.manifest_dir, no_upload=True, output_dir=out)
    return [("deploy-plan", [*base, "--dry-run"], lambda: run_deploy(plan)),
            ("deploy-export", [*base, "--output-dir", str(out)], lambda: run_deploy(export))]


def finish_offline(request: OfflineRequest, transcript: Transcript,
                   started: str) -> OfflineResult:
    """summary.json (schema-checked) and SHA256SUMS, whatever happened before."""
    builder = SummaryBuilder(kind="offline", started_at=started, secrets=request.secrets,
                             inputs=input_entries([request.input_dir], root=Path.cwd()))
    fill_from_steps(builder, transcript.steps, request.manifest_dir)
    summary = finish_bundle(request.bundle_dir, transcript, builder)
    return OfflineResult(request.bundle_dir, summary, tuple(transcript.steps))


def fill_from_steps(builder: SummaryBuilder, steps: list[StepRecord],
                    manifest_dir: Path) -> None:
    """Counts from the refine step, the QA outcome, and the manifests' concurrency limits."""
    results: dict[str, Any] = {s.name: s.data.get("result") for s in steps}
    refined = results.get("refine")
    if refined is not None:
        doc = refined.to_json()
        builder.counts.update({k: doc[k] for k in ("records_in", "records_out", "rejected",
                                                    "duplicates_merged", "issues_count")})
    report = results.get("qa")
    if report is not None:
        builder.qa = report.outcome()
    exported = results.get("deploy-export")
    if exported is not None:
        builder.counts["deployments_exported"] = len(exported.rows)
    builder.concurrency.update(manifest_limits(manifest_dir))


def manifest_limits(manifest_dir: Path) -> dict[str, int | None]:
    """Each deployment's concurrency limit (`<id>`) and the backfill fan-out limit, when the
    manifests load; nothing when they do not (the failure is reported by its own step)."""
    from hotpass.errors import HotpassError
    from hotpass.manifests import load_manifest_set

    try:
        specs = load_manifest_set(manifest_dir, check_flows=False).specs
    except HotpassError:
        return {}
    limits: dict[str, int | None] = {f"deployment:{s.id}": s.concurrency_limit for s in specs}
    for spec in specs:
        fan_out = spec.parameters.get("concurrency_limit")
        if isinstance(fan_out, int):
            limits[f"{spec.id}:runs"] = fan_out
    return limits
