"""Flows used only by manifest tests."""

from prefect import flow


@flow
def flow_with_required(needed: str, optional: int = 0) -> None:
    """A flow whose first parameter has no default."""
