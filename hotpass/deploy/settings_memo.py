"""What Prefect's settings say the API URL is, remembered so that it can be known without
importing Prefect (which is what reading its settings costs).

Without --api-url or PREFECT_API_URL in the environment, the Prefect client uses the URL of the
settings (a `.env`, `prefect.toml` or `pyproject.toml` in the working folder, or the active
profile) and otherwise the local server recorded under `.hotpass/`. After a run that imported
Prefect anyway, the configured value (or its absence) is stored under a fingerprint of every
one of those sources: all PREFECT_* variables, the three files, the profiles file, the home
folder and Prefect's version. Later runs with the same fingerprint know the URL without
Prefect; any difference, or a profiles path set in one of the files, means not known.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from hotpass.deploy.cache import prefect_version
from hotpass.fsutil import atomic_write_json

MEMO_FILE = "prefect-settings.json"
LOCAL_FILES = (".env", "prefect.toml", "pyproject.toml")


def settings_fingerprint() -> str | None:
    """A digest of every source Prefect reads its settings from; None when one of them points
    the profiles file elsewhere (not followed here)."""
    files = {name: _text(Path(name)) for name in LOCAL_FILES}
    if any(text is not None and "profiles_path" in text.lower() for text in files.values()):
        return None
    home = (Path(os.environ["PREFECT_HOME"]) if os.environ.get("PREFECT_HOME")
            else Path.home() / ".prefect")
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    document = {
        "env": sorted((k, v) for k, v in os.environ.items() if k.startswith("PREFECT_")),
        "cwd": os.getcwd(), "home": str(Path.home()), "files": files,
        "profiles": [str(profiles), _text(profiles)], "prefect": prefect_version()}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def recall_configured_url(cache_dir: Path) -> tuple[bool, str | None]:
    """(known, the URL Prefect's settings give or None) for the current settings sources."""
    try:
        memo = json.loads((cache_dir / MEMO_FILE).read_text(encoding="utf-8"))
        fingerprint = settings_fingerprint()
        if fingerprint is None or memo["fingerprint"] != fingerprint:
            return False, None
        url = memo["configured"]
    except (OSError, ValueError, KeyError, TypeError):
        return False, None
    return (True, url) if url is None or isinstance(url, str) else (False, None)


def remember_configured_url(cache_dir: Path) -> None:
    """Store what Prefect's settings give a new process now, read afresh between two equal
    fingerprints (so the value belongs to the fingerprint). Prefect is imported already."""
    from prefect.settings import Settings

    fingerprint = settings_fingerprint()
    if fingerprint is None:
        return
    configured = Settings().api.url
    if settings_fingerprint() != fingerprint:
        return
    try:
        atomic_write_json(cache_dir / MEMO_FILE, {
            "fingerprint": fingerprint, "configured": str(configured) if configured else None})
    except OSError:
        return


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
