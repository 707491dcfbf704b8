"""Waiting for a process hotpass just started."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpass.errors import PrefectUnavailable
from hotpass.prefect_local.process import wait_started


def test_a_process_that_exits_or_never_gets_ready_is_prefect_unavailable(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("address already in use\n")
    with pytest.raises(PrefectUnavailable, match="exited during start-up") as exited:
        wait_started("the thing", log, exited=lambda: 1, ready=lambda: True, timeout=5,
                     hints=("a", "b"))
    assert "address already in use" in exited.value.message and exited.value.hint == "a"
    with pytest.raises(PrefectUnavailable, match="the thing was not ready after 0s") as late:
        wait_started("the thing", log, exited=lambda: None, ready=lambda: False, timeout=0,
                     hints=("a", "b"))
    assert late.value.hint == "b"
    wait_started("the thing", log, exited=lambda: None, ready=lambda: True, timeout=5,
                 hints=("a", "b"))
