"""Every deploy test keeps its desired-state cache in its own temp folder (not .hotpass/)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_deploy_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "deploy-cache"
    monkeypatch.setattr("hotpass.deploy.cache.DEFAULT_CACHE_DIR", folder)
    return folder
