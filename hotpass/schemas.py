"""Checking a document against one of the JSON Schemas shipped in schemas/ (draft 2020-12)."""

from __future__ import annotations

import json
from typing import Any

from hotpass.paths import schema_path


def document_problems(schema_name: str, document: Any) -> list[str]:
    """Every violation of schemas/<schema_name>.schema.json as `field/path: message`, in path
    order (empty when the document is valid). jsonschema is imported only when called."""
    import jsonschema

    schema = json.loads(schema_path(schema_name).read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document),
                    key=lambda e: e.json_path)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
