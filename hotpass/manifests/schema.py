"""Validate a merged manifest against schemas/deployment-manifest.schema.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from hotpass.manifests.load import RawManifest
from hotpass.manifests.problems import FieldPath, Problem, field_name
from hotpass.paths import schema_path


@cache
def manifest_validator() -> Draft202012Validator:
    schema = json.loads(schema_path("deployment-manifest").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_problems(manifest: RawManifest) -> list[Problem]:
    """Every schema violation of `manifest`, each at the line of the offending field."""
    problems: list[Problem] = []
    for error in manifest_validator().iter_errors(manifest.data):
        problems.extend(_to_problems(manifest, error))
    return sorted(set(problems))


def _to_problems(manifest: RawManifest, error: ValidationError) -> list[Problem]:
    path: FieldPath = tuple(error.absolute_path)
    schema: Any = error.schema
    if error.validator == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        instance: Any = error.instance
        unknown = sorted(set(instance) - set(known))
        return [Problem(manifest.locate((*path, key)), field_name((*path, key)),
                        f"unknown field (expected one of: {', '.join(known)})") for key in unknown]
    if error.validator == "required":
        missing = str(error.message).split("'")[1]
        return [Problem(manifest.locate(path), field_name((*path, missing)),
                        "required field is missing")]
    return [Problem(manifest.locate(path), field_name(path),
                    f"{_shown(error.instance)} is not valid (expected {_expected(error)})")]


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(error: ValidationError) -> str:
    value: Any = error.validator_value
    phrases: dict[str, Callable[[], str]] = {
        "type": lambda: " or ".join(value) if isinstance(value, list) else str(value),
        "enum": lambda: "one of " + ", ".join(json.dumps(v) for v in value),
        "const": lambda: json.dumps(value),
        "pattern": lambda: f"text matching {value}",
        "minimum": lambda: f"a number >= {value}",
        "exclusiveMinimum": lambda: f"a number > {value}",
        "minLength": lambda: "a non-empty string",
        "uniqueItems": lambda: "no repeated items",
    }
    phrase = phrases.get(str(error.validator))
    return phrase() if phrase else str(error.message)
