from __future__ import annotations

import pytest

from hotpass.prefect_local.server import is_healthy, server_status


@pytest.mark.integration
def test_fixture_server_is_healthy(prefect_server):
    assert is_healthy(prefect_server.api_url)
    status = server_status(prefect_server.api_url)
    assert status.healthy
    assert status.exit_code == 0
