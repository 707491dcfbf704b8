"""The server path of `hotpass deploy`: plan against the live server, then apply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotpass.errors import UsageError

if TYPE_CHECKING:
    from hotpass.deploy.service import DeployRequest, DeployResult
    from hotpass.manifests import DeploymentSpec


def deploy_to_server(request: DeployRequest, specs: list[DeploymentSpec]) -> DeployResult:
    raise UsageError("deploying to a server is not available yet",
                     hint="use --no-upload to export the payloads offline")
