"""Invoke entry point: only assembles the collections defined in hotpass/tasks/."""

from hotpass.tasks import build_namespace

ns = build_namespace()
