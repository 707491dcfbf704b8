"""Backfill: replay archived input bundles over a window of dates, in parallel, resumably.

window (dates × versions, archive paths) → extract (safe unzip) → execute (local process pool or
Prefect child runs) → state (one JSON file per backfill, saved after every run)."""
