"""hotpass: a spreadsheet-refinement pipeline on Prefect 3 (deploy, refine, backfill, rehearse)."""

__version__ = "0.1.0"
