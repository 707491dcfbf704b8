"""Remembering where Prefect's settings point the API (deploy.settings_memo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpass.deploy.settings_memo import (
    MEMO_FILE,
    recall_configured_url,
    remember_configured_url,
    settings_fingerprint,
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder and Prefect home, with no PREFECT_* variables but that home."""
    for name in [k for k in __import__("os").environ if k.startswith("PREFECT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prefect-home").mkdir()
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    return tmp_path


def test_every_settings_source_is_in_the_fingerprint(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {settings_fingerprint()}
    for name, text in ((".env", "PREFECT_API_URL=http://a/api\n"),
                       ("prefect.toml", '[api]\nurl = "http://b/api"\n'),
                       ("pyproject.toml", '[tool.prefect.api]\nurl = "http://c/api"\n'),
                       ("prefect-home/profiles.toml",
                        '[profiles.x]\nPREFECT_API_URL = "http://d/api"\n')):
        (project / name).write_text(text)
        seen.add(settings_fingerprint())
    monkeypatch.setenv("PREFECT_PROFILE", "x")
    seen.add(settings_fingerprint())
    monkeypatch.setattr("hotpass.deploy.settings_memo.prefect_version", lambda: "0.0.1")
    seen.add(settings_fingerprint())
    assert len(seen) == 7 and None not in seen


def test_a_profiles_path_set_in_a_file_is_not_followed(project: Path) -> None:
    (project / "prefect.toml").write_text('profiles_path = "/elsewhere/profiles.toml"\n')
    assert settings_fingerprint() is None
    remember_configured_url(project / "cache")
    assert recall_configured_url(project / "cache") == (False, None)


def test_remembered_until_a_source_changes(project: Path) -> None:
    cache = project / "cache"
    assert recall_configured_url(cache) == (False, None)
    remember_configured_url(cache)
    assert recall_configured_url(cache) == (True, None)  # known: the settings give no URL
    (project / ".env").write_text("PREFECT_API_URL=http://127.0.0.1:9/api\n")
    assert recall_configured_url(cache) == (False, None)


@pytest.mark.parametrize("content", ["", "{", '{"fingerprint": "x"}', '{"configured": 3}'])
def test_an_unusable_memo_is_not_known(project: Path, content: str) -> None:
    (project / "cache").mkdir()
    (project / "cache" / MEMO_FILE).write_text(content)
    assert recall_configured_url(project / "cache") == (False, None)


def test_a_configured_url_is_remembered(project: Path) -> None:
    (project / ".env").write_text("PREFECT_API_URL=http://127.0.0.1:9/api\n")
    remember_configured_url(project / "cache")
    assert recall_configured_url(project / "cache") == (True, "http://127.0.0.1:9/api")
