"""What `hotpass worker start` runs: Prefect's own CLI (`prefect worker start …`), with the
worker's API clients repeating a locked SQLite server's 503 quickly (Prefect's client waits
2 s, then 4 s: a worker proposing two runs' Pending states at once, or polling while a flow
run writes, lost 2 s per collision, and that was the largest share of a backfill child's wait
to be picked up).

    <python> -m hotpass.prefect_local.worker_main worker start --pool P --type process ...
"""

from __future__ import annotations


def main() -> None:
    from hotpass.prefect_local.transport import install_quick_retries

    install_quick_retries()
    from prefect.cli import app

    app()


if __name__ == "__main__":
    main()
