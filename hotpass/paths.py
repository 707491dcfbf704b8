"""Where the project's shipped files live (schemas, manifests, sample data), and the default
hotpass home: local server and worker state and caches, relative to the working directory."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SCHEMA_DIR = PROJECT_ROOT / "schemas"
MANIFEST_DIR = PROJECT_ROOT / "prefect"
PROFILE_DIR = PACKAGE_DIR / "profiles"
DEFAULT_HOME = Path(".hotpass")
DEFAULT_MANIFEST_DIR = Path("prefect")  # the project's manifests, from the working directory
DEFAULT_OUTPUT_DIR = Path("dist/offline/prefect")  # where `deploy --no-upload` writes payloads


def schema_path(name: str) -> Path:
    """`deployment-manifest` → schemas/deployment-manifest.schema.json."""
    return SCHEMA_DIR / f"{name}.schema.json"
