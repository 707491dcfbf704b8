"""The desired-state cache (deploy.cache): what it is keyed by, and that it fails safe."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from hotpass.deploy.cache import DesiredCache, inputs_key, open_cache
from hotpass.deploy.plan import desired_states
from hotpass.manifests import load_manifest_set
from hotpass.paths import MANIFEST_DIR

SELECTION = {"flow_ids": [], "name": None, "schedule": None, "work_pool": None}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the shipped manifest tree (base set plus overlays) at <tmp>/prefect."""
    shutil.copytree(MANIFEST_DIR, tmp_path / "prefect")
    return tmp_path / "prefect"


def stored(directory: Path, selection: dict[str, object] | None = None) -> DesiredCache:
    cache = open_cache(directory, selection or SELECTION)
    assert cache is not None
    cache.store(desired_states(list(load_manifest_set(directory).specs)))
    return cache


def test_a_hit_returns_the_built_state_in_set_order(tree: Path) -> None:
    desired = desired_states(list(load_manifest_set(tree).specs))
    cache = stored(tree)
    again = open_cache(tree, SELECTION)
    assert again is not None and again.path == cache.path and again.key == cache.key
    hit = again.load()
    assert hit is not None
    assert [(c.id, c.deployment, c.work_pool, c.state) for c in hit] == [
        (d.spec.id, d.full_name, d.spec.work_pool, d.state) for d in desired]


def test_a_manifest_change_is_a_miss(tree: Path) -> None:
    cache = stored(tree)
    path = tree / "refinement.yaml"
    path.write_text(path.read_text().replace("description:", "description: changed"))
    changed = open_cache(tree, SELECTION)
    assert changed is not None and changed.path == cache.path
    assert changed.key != cache.key
    assert changed.load() is None


def test_a_change_to_an_overlay_base_is_a_miss(tree: Path) -> None:
    staging = tree / "staging"
    cache = stored(staging)
    base = tree / "refinement.yaml"
    base.write_text(base.read_text() + "concurrency_limit: 7\n")
    assert inputs_key(staging, SELECTION) != cache.key


def test_selection_and_overrides_are_part_of_the_key(tree: Path) -> None:
    keys = {inputs_key(tree, {**SELECTION, **change}) for change in (
        {}, {"flow_ids": ["refinement"]}, {"schedule": "0 5 * * *"}, {"work_pool": "other"},
        {"name": "renamed"})}
    assert len(keys) == 5


def test_a_flow_signature_change_is_a_miss(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    package = f"cacheflows_{uuid.uuid4().hex[:8]}"
    (tmp_path / "src" / package).mkdir(parents=True)
    (tmp_path / "src" / package / "__init__.py").write_text("")
    module = tmp_path / "src" / package / "flows.py"
    module.write_text("from prefect import flow\n\n@flow\ndef job(a: int = 1): ...\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "job.yaml").write_text(f"id: job\nname: job\nflow: {package}.flows:job\n")
    before = inputs_key(tmp_path / "set", SELECTION)
    assert before is not None
    module.write_text("from prefect import flow\n\n@flow\ndef job(a: str = '1'): ...\n")
    assert inputs_key(tmp_path / "set", SELECTION) not in (None, before)
    assert package not in __import__("sys").modules  # keyed without importing the flow


def test_another_prefect_version_is_a_miss(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = stored(tree)
    monkeypatch.setattr("hotpass.deploy.cache.prefect_version", lambda: "3.8.9")
    other = open_cache(tree, SELECTION)
    assert other is not None and other.key != cache.key and other.load() is None


@pytest.mark.parametrize("content", [
    "", "{not json", '{"format": 1, "key": "K", "deployments": [{"id": 1}]}', "[1, 2]",
    '{"format": 1, "key": "K", "deployments": [{"id": "a", "deployment": "f/a", '
    '"work_pool": null, "state": []}]}',
])
def test_a_corrupt_cache_file_is_a_miss(tree: Path, content: str) -> None:
    cache = stored(tree)
    cache.path.write_text(content.replace('"K"', f'"{cache.key}"'))
    assert cache.load() is None


def test_nothing_is_stored_when_a_manifest_changes_during_the_build(tree: Path) -> None:
    cache = open_cache(tree, SELECTION)
    assert cache is not None
    desired = desired_states(list(load_manifest_set(tree).specs))
    path = tree / "backfill.yaml"
    path.write_text(path.read_text() + "concurrency_limit: 3\n")
    cache.store(desired)
    assert not cache.path.exists()


def test_a_file_that_does_not_parse_is_never_keyed(tree: Path) -> None:
    (tree / "broken.yaml").write_text("id: [unclosed\n")
    assert open_cache(tree, SELECTION) is None
