"""`hotpass deploy`: validate the whole set first, then build, export, plan or apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import EXIT_OK, UsageError
from hotpass.fsutil import atomic_write_json
from hotpass.manifests.overrides import apply_overrides
from hotpass.manifests.spec import DeploymentSpec
from hotpass.paths import DEFAULT_MANIFEST_DIR, DEFAULT_OUTPUT_DIR


@dataclass(frozen=True)
class DeployRequest:
    manifest_dir: Path = DEFAULT_MANIFEST_DIR
    flow_ids: tuple[str, ...] = ()
    dry_run: bool = False
    no_upload: bool = False
    output_dir: Path = DEFAULT_OUTPUT_DIR
    prune: bool = False
    build_image: bool = False
    push_image: bool = False
    name: str | None = None
    schedule: str | None = None
    work_pool: str | None = None
    api_url: str | None = None
    use_cache: bool = True  # the desired-state cache (deploy.cache)

    @property
    def selection(self) -> dict[str, Any]:
        """What, besides the manifests, decides the desired state."""
        return {"flow_ids": list(self.flow_ids), "name": self.name, "schedule": self.schedule,
                "work_pool": self.work_pool}


@dataclass(frozen=True)
class DeployRow:
    id: str
    deployment: str  # flow-name/deployment-name, as `prefect deployment run` takes it
    action: str  # validated | exported | create | update | unchanged | delete
    changed_fields: tuple[str, ...] = ()
    output: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "deployment": self.deployment, "action": self.action,
                "changed_fields": list(self.changed_fields),
                "output": str(self.output) if self.output else None}


@dataclass(frozen=True)
class DeployResult:
    mode: str  # validate | export | plan | apply
    manifest_dir: Path
    rows: tuple[DeployRow, ...]
    notes: tuple[str, ...] = field(default=())
    exit_code: int = EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "manifest_dir": str(self.manifest_dir),
                "deployments": [row.to_json() for row in self.rows], "notes": list(self.notes)}


def select_specs(request: DeployRequest) -> list[DeploymentSpec]:
    """Validate every manifest of the set (all problems at once), then select and override."""
    from hotpass.manifests.manifest_set import load_manifest_set

    manifest_set = load_manifest_set(request.manifest_dir)
    specs = manifest_set.select(request.flow_ids)
    return apply_overrides(specs, name=request.name, schedule=request.schedule,
                           work_pool=request.work_pool)


def run_deploy(request: DeployRequest) -> DeployResult:
    if request.no_upload:
        return build_offline(request, select_specs(request))
    if request.prune and request.flow_ids:
        raise UsageError("--prune compares the whole manifest set, so it cannot be combined "
                         "with --flow", hint="drop --flow (or drop --prune)")
    from hotpass.deploy.cache import DEFAULT_CACHE_DIR, open_cache
    from hotpass.deploy.prefetch import start_prefetch
    from hotpass.deploy.server import deploy_to_server
    from hotpass.deploy.unchanged import unchanged_result

    cache = (open_cache(request.manifest_dir, request.selection)
             if request.use_cache else None)
    cached = cache.load() if cache is not None else None
    # reads the server while (on a miss) the manifests validate; on a hit only the set's
    # deployments, unless pruning needs every managed one
    names = (sorted({c.deployment.partition("/")[2] for c in cached})
             if cached is not None and not request.prune else None)
    memo_dir = DEFAULT_CACHE_DIR if request.use_cache else None
    prefetch = start_prefetch(request.api_url, memo_dir=memo_dir, names=names)
    if cached is not None:  # unchanged inputs: nothing to validate or build
        result = unchanged_result(request, cached, prefetch)
        if result is not None:
            return result
    # a hit that still falls through has its state stored already, under the same key
    return deploy_to_server(request, select_specs(request), prefetch,
                            store=cache if cached is None else None, memo_dir=memo_dir)


def build_offline(request: DeployRequest, specs: list[DeploymentSpec]) -> DeployResult:
    """No server: build every deployment (and with no --dry-run, write its create payload)."""
    from hotpass.deploy.build import create_payload

    payloads = [(spec, create_payload(spec)) for spec in specs]
    if request.dry_run:
        rows = [DeployRow(s.id, deployment_label(p), "validated") for s, p in payloads]
        return DeployResult("validate", request.manifest_dir, tuple(rows))
    rows = []
    for spec, payload in payloads:
        target = request.output_dir / f"{spec.id}.json"
        atomic_write_json(target, payload)  # sorted keys: re-exports are byte-identical
        rows.append(DeployRow(spec.id, deployment_label(payload), "exported", output=target))
    return DeployResult("export", request.manifest_dir, tuple(rows))


def deployment_label(payload: dict[str, Any]) -> str:
    return f"{payload['flow_name']}/{payload['name']}"
