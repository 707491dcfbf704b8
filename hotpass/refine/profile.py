"""Refinement profiles: YAML files validated by schemas/profile.schema.json.

`load_profile("aviation")` loads a built-in profile from hotpass/profiles/; anything with a path
separator or a .yaml/.yml suffix is read as a file. Every problem is reported with file and line.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from hotpass.errors import ProfileError
from hotpass.paths import PROFILE_DIR, schema_path
from hotpass.refine.privacy import redact

SCHEMA_PATH = schema_path("profile")
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def heading_key(text: str) -> str:
    """Case, space and punctuation insensitive key of a column heading or alias."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    return _NON_ALNUM.sub("", folded)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    synonyms: tuple[str, ...] = ()
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expectation:
    name: str
    metric: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    source: Path
    fields: dict[str, FieldSpec]
    required: tuple[str, ...]
    description: str = ""
    default_country: str = "ZA"
    header_scan_rows: int = 30
    province_aliases: dict[str, str] = field(default_factory=dict)
    placeholders: frozenset[str] = frozenset()
    source_priorities: tuple[tuple[str, int], ...] = ()
    expectations: tuple[Expectation, ...] = ()

    @property
    def synonym_index(self) -> dict[str, str]:
        """Heading key -> canonical field name (field names themselves count as synonyms)."""
        index: dict[str, str] = {}
        for spec in self.fields.values():
            for word in (spec.name, *spec.synonyms):
                index.setdefault(heading_key(word), spec.name)
        return index

    def fields_of_type(self, kind: str) -> list[str]:
        return [name for name, spec in self.fields.items() if spec.type == kind]


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def resolve_profile_path(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if "/" in text or "\\" in text or text.endswith((".yaml", ".yml")):
        path = Path(text)
        if not path.is_file():
            raise ProfileError(f"profile file {redact(text)} does not exist",
                               hint="pass a built-in name (" + ", ".join(builtin_profiles())
                               + ") or the path of a YAML profile")
        return path
    path = PROFILE_DIR / f"{text}.yaml"
    if not path.is_file():
        raise ProfileError(f"unknown profile {text!r}; built-in profiles: "
                           + ", ".join(builtin_profiles()),
                           hint="pass a built-in name or the path of a YAML profile")
    return path


def load_profile(name_or_path: str | Path) -> Profile:
    """Load and validate a profile by built-in name or file path; ProfileError (exit 2) names
    the file and line of every problem."""
    path = resolve_profile_path(name_or_path)
    return _load_path(path.resolve(), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load_path(path: Path, _mtime_ns: int) -> Profile:
    document = _parse_yaml(path)
    if path.parent != PROFILE_DIR:
        # Built-in profiles ship with the code and are checked against the schema by the test
        # suite; validating them on every run would cost importing jsonschema (~0.15 s).
        _validate(path, document)
    return _build(path, json.loads(json.dumps(document)))


def _parse_yaml(path: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ProfileError(f"{path}:{line}: not valid YAML: {exc.problem or exc.context}",
                           hint="fix the YAML syntax at that line") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc.__class__.__name__})") from None


def _validate(path: Path, document: Any) -> None:
    import jsonschema

    if not isinstance(document, dict):
        raise ProfileError(f"{path}:1: a profile must be a YAML mapping")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    plain = json.loads(json.dumps(document))
    problems = []
    for error in sorted(validator.iter_errors(plain), key=lambda e: list(map(str, e.path))):
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        line = _line_of(document, list(error.absolute_path))
        problems.append(f"{path}:{line}: {where}: {error.message}")
    problems.extend(_semantic_problems(path, document))
    if problems:
        raise ProfileError("invalid profile:\n  " + "\n  ".join(problems),
                           hint=f"fix the profile (schema: {SCHEMA_PATH.name}) and run again")


def _semantic_problems(path: Path, document: Any) -> list[str]:
    fields = document.get("fields") or {}
    required = document.get("required") or []
    problems = []
    for index, name in enumerate(required):
        if isinstance(fields, dict) and name not in fields:
            line = _line_of(document, ["required", index])
            problems.append(f"{path}:{line}: required: {name!r} is not one of the fields")
    return problems


def _line_of(node: Any, keys: list[Any]) -> int:
    """1-based line of the deepest node on `keys` that ruamel knows a position for."""
    line = 0
    for key in keys:
        try:
            line = node.lc.item(key)[0] if isinstance(key, int) else node.lc.key(key)[0]
            node = node[key]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    return line + 1


def _build(path: Path, doc: dict[str, Any]) -> Profile:
    fields = {
        name: FieldSpec(name=name, type=spec["type"], synonyms=tuple(spec.get("synonyms", [])),
                        values=tuple(spec.get("values", [])))
        for name, spec in doc["fields"].items()
    }
    aliases: dict[str, str] = {}
    for canonical, spellings in (doc.get("province_aliases") or {}).items():
        for spelling in [canonical, *spellings]:
            aliases[heading_key(spelling)] = canonical
    return Profile(
        name=doc["name"], source=path, fields=fields, required=tuple(doc["required"]),
        description=doc.get("description", ""),
        default_country=doc.get("default_country", "ZA"),
        header_scan_rows=doc.get("header_scan_rows", 30),
        province_aliases=aliases,
        placeholders=frozenset(p.strip().casefold() for p in doc.get("placeholders", [])),
        source_priorities=tuple((p["pattern"], p["priority"])
                                for p in doc.get("source_priorities", [])),
        expectations=tuple(Expectation(name=e["name"], metric=e["metric"], min=e.get("min"),
                                       max=e.get("max")) for e in doc.get("expectations", [])),
    )
