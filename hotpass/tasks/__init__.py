"""Invoke collections (`invoke --list`). Each module exposes `collection`; they call the library
directly (never shell out to `hotpass`) and render its result."""

from __future__ import annotations

import importlib

from invoke.collection import Collection

COLLECTION_MODULES = ("deploy", "backfill", "rehearse", "offline", "qa", "server", "worker")


def build_namespace() -> Collection:
    namespace = Collection()
    for name in COLLECTION_MODULES:
        module = importlib.import_module(f"hotpass.tasks.{name}")
        namespace.add_collection(module.collection, name=name)
    return namespace
