"""A tiny flow the test worker imports by module path
(`tests.prefect_local.sample_flows:hello_flow`): proves the worker → run → logs path without
depending on the refinement body."""

from __future__ import annotations

from prefect import flow, get_run_logger


@flow(name="hotpass-test-hello")
def hello_flow(greeting: str = "hello") -> str:
    logger = get_run_logger()
    logger.info("%s from the test worker", greeting)
    logger.warning("second line")
    return greeting
