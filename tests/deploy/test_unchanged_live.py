"""The unchanged re-apply from the desired-state cache against a real server: the same plan and
result as without the cache, any difference on either side falls back to the full path, and a
warm unchanged apply never imports Prefect (deploy.unchanged, deploy.cache)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from hotpass.prefect_local.client import prefect_client
from tests.deploy.test_apply_live import actions, deploy, read, write_manifests


@pytest.fixture
def fast_plans(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What each call of the Prefect-free check returned (None: it fell back)."""
    from hotpass.deploy import unchanged

    seen: list[object] = []
    original = unchanged.unchanged_plan

    def spy(*args: Any, **kwargs: Any) -> object:
        seen.append(original(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(unchanged, "unchanged_plan", spy)
    return seen


def applied_set(tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str,
                ) -> tuple[dict[str, str], tuple[str, ...]]:
    tag = uuid.uuid4().hex[:8]
    names = write_manifests(tmp_path / "set", tag)
    common = ("--manifest-dir", str(tmp_path / "set"), "--api-url", api)
    assert deploy(capsys, *common)[0] == 0  # creates, and fills the cache
    return names, common


@pytest.mark.integration
def test_a_hit_gives_the_same_plan_and_result_as_a_miss(prefect_server, tmp_path, capsys,
                                                        fast_plans):
    names, common = applied_set(tmp_path, capsys, prefect_server.api_url)
    before = {i: read(prefect_server.api_url, n).updated for i, n in names.items()}
    for extra in (("--dry-run",), ()):  # --prune: test_apply_prune_live (server-wide)
        fast_plans.clear()
        hit = deploy(capsys, *common, *extra)
        assert fast_plans and fast_plans[-1] is not None  # answered from the cache
        tried = len(fast_plans)
        miss = deploy(capsys, *common, *extra, "--no-cache")
        assert len(fast_plans) == tried  # --no-cache: the cache was not even consulted
        assert hit == miss
        assert actions(hit[1]) == {"backfill": ("unchanged", []),
                                   "refinement": ("unchanged", [])}
    assert {i: read(prefect_server.api_url, n).updated for i, n in names.items()} == before


@pytest.mark.integration
def test_a_difference_on_the_server_falls_back_to_the_full_plan(prefect_server, tmp_path,
                                                               capsys, fast_plans):
    api = prefect_server.api_url
    names, common = applied_set(tmp_path, capsys, api)
    with prefect_client(api) as client:
        client.resume_deployment(read(api, names["backfill"]).id)
    fast_plans.clear()
    code, planned = deploy(capsys, *common, "--dry-run")
    assert code == 0 and fast_plans == [None]
    assert planned == deploy(capsys, *common, "--dry-run", "--no-cache")[1]
    assert actions(planned)["backfill"][0] == "update"
    assert deploy(capsys, *common)[0] == 0
    with prefect_client(api) as client:
        client.delete_work_pool(f"pool-{names['backfill'].rsplit('-', 1)[1]}")
    fast_plans.clear()
    code, applied = deploy(capsys, *common)
    assert code == 0 and fast_plans == [None]
    assert any(note.startswith("created work pool") for note in applied["notes"])


@pytest.mark.integration
def test_a_changed_manifest_is_planned_in_full(prefect_server, tmp_path, capsys, fast_plans):
    names, common = applied_set(tmp_path, capsys, prefect_server.api_url)
    tag = names["refinement"].rsplit("-", 1)[1]
    write_manifests(tmp_path / "set", tag, cron="30 7 * * 1-5")
    fast_plans.clear()
    code, changed = deploy(capsys, *common)
    assert code == 0 and fast_plans == []  # a miss: the check is not even asked
    assert actions(changed) == {"backfill": ("unchanged", []),
                                "refinement": ("update", ["schedules"])}


@pytest.mark.integration
def test_an_invalid_manifest_after_a_warm_cache_is_reported_as_before(prefect_server, tmp_path,
                                                                      capsys):
    _, common = applied_set(tmp_path, capsys, prefect_server.api_url)
    path = tmp_path / "set" / "backfill.yaml"
    path.write_text(path.read_text().replace("concurrency_limit: 1", 'concurrency_limit: "1"'))
    from hotpass.cli import main

    assert main(["deploy", *common]) == 2
    err = capsys.readouterr().err
    assert 'backfill.yaml:7:1: concurrency_limit: "1" is not valid (expected integer)' in err


PROBE = """\
import sys
from hotpass.cli import main
code = main(sys.argv[1:])
print("EXIT", code, "PREFECT", "prefect" in sys.modules, file=sys.stderr)
"""


@pytest.mark.integration
@pytest.mark.parametrize("url_from", ["environment", "local server"])
def test_a_warm_unchanged_apply_does_not_import_prefect(prefect_server, tmp_path, url_from):
    tag = uuid.uuid4().hex[:8]
    write_manifests(tmp_path / "set", tag)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    if url_from == "environment":
        env["PREFECT_API_URL"] = prefect_server.api_url
    else:  # `hotpass server start` recorded it in .hotpass/; Prefect's own settings are empty
        (tmp_path / ".hotpass").mkdir()
        shutil.copy(Path(prefect_server.home) / "server.json", tmp_path / ".hotpass")
        env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    argv = [sys.executable, "-c", PROBE, "deploy", "--json", "--manifest-dir",
            str(tmp_path / "set")]

    def run() -> tuple[str, dict[str, object]]:
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=180, check=False)
        return done.stderr.strip().splitlines()[-1], json.loads(done.stdout)

    assert run()[0] == "EXIT 0 PREFECT True"  # cold: builds with Prefect, fills the cache
    assert list((tmp_path / ".hotpass" / "cache").glob("deploy-*.json"))
    probe, document = run()
    assert probe == "EXIT 0 PREFECT False"
    assert [r["action"] for r in document["deployments"]] == ["unchanged", "unchanged"]
    if url_from == "local server":  # a URL in Prefect's settings would win: known, not assumed
        (tmp_path / ".env").write_text(f"PREFECT_API_URL={prefect_server.api_url}\n")
        assert run()[0] == "EXIT 0 PREFECT True"
        assert run()[0] == "EXIT 0 PREFECT False"
