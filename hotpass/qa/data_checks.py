"""The `data` suite: expectations per column of the refined output (required fields present,
values in their canonical forms and allowed sets), plus the refinement's own expectations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hotpass.qa.report import FAIL, PASS, WARN, CheckResult

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_URL = re.compile(r"^https://[^\s/]+\.[^\s]+$")
_SPLIT = re.compile(r"\s*[;,]\s*|\s+/\s+")


def column_fields(header: list[str], field_types: dict[str, str]) -> dict[str, str]:
    """Column name → canonical field, matching exact names first, then columns that carry the
    field name with a prefix or suffix (e.g. `secondary_contact_email`, `contact_phone_2`)."""
    mapping: dict[str, str] = {}
    by_length = sorted(field_types, key=len, reverse=True)
    for column in header:
        key = column.strip().lower().replace(" ", "_")
        match = key if key in field_types else next((f for f in by_length if f in key), None)
        if match:
            mapping[column] = match
    return mapping


def column_checks(header: list[str], rows: list[list[str]], profile: Any) -> list[CheckResult]:
    """One check per profiled column: presence for required fields, value form by field type."""
    field_types = {name: spec.type for name, spec in profile.fields.items()}
    mapping = column_fields(header, field_types)
    required = set(profile.required)
    results = [_missing_required(f, header, mapping) for f in sorted(required)
               if f not in mapping.values()]
    for index, column in enumerate(header):
        field = mapping.get(column)
        if field is None:
            continue
        values = [r[index] for r in rows]
        rule = _rule(profile, field, field_types[field])
        results.append(_column_result(column, field, values, field in required and
                                      column == field, rule))
    return results


def _missing_required(field: str, header: list[str], mapping: dict[str, str]) -> CheckResult:
    return CheckResult(f"data.columns.{field}", FAIL,
                       f"required field {field} has no column in the refined output",
                       {"columns": header})


def _rule(profile: Any, field: str, kind: str) -> tuple[str, Callable[[str], bool]] | None:
    if kind == "email":
        return "a valid lower-case e-mail address", lambda v: bool(_EMAIL.match(v)) and \
            v == v.lower()
    if kind == "phone":
        return "an E.164 phone number", lambda v: bool(_E164.match(v))
    if kind == "url":
        return "an https:// URL", lambda v: bool(_URL.match(v))
    if kind == "province" and profile.province_aliases:
        allowed = set(profile.province_aliases.values())
        return f"one of {len(allowed)} provinces", lambda v: v in allowed
    values = set(profile.fields[field].values)
    if kind == "category" and values:
        return f"one of {', '.join(sorted(values))}", lambda v: v in values
    return None


def _column_result(column: str, field: str, values: list[str], required: bool,
                   rule: tuple[str, Callable[[str], bool]] | None) -> CheckResult:
    present = [v for v in values if v.strip()]
    nulls = len(values) - len(present)
    items = [p for v in present for p in _SPLIT.split(v) if p] if rule else []
    failed = sum(1 for p in items if rule and not rule[1](p))
    evidence: dict[str, Any] = {"column": column, "field": field, "rows": len(values),
                                "non_null": len(present), "nulls": nulls,
                                "values_checked": len(items), "values_failed": failed,
                                "expectation": ("present in every row" if required else
                                                rule[0] if rule else "profiled only")}
    check_id = f"data.columns.{column.strip().replace(' ', '_')}"
    if required and nulls:
        return CheckResult(check_id, FAIL, f"{column}: {nulls} of {len(values)} rows empty "
                           "(required field)", evidence)
    if failed:
        status = FAIL if rule and rule[0].startswith(("a valid", "an ")) else WARN
        return CheckResult(check_id, status, f"{column}: {failed} of {len(items)} values are "
                           f"not {rule[0] if rule else ''}", evidence)
    if required:
        what = "present in every row"
    elif rule and items:
        what = f"all {len(items)} values are {rule[0]}"
    else:
        what = f"{len(present)} values" if present else "no values (nothing to check)"
    return CheckResult(check_id, PASS, f"{column}: {what}", evidence)


def expectation_checks(refine_summary: dict[str, Any]) -> list[CheckResult]:
    """The refinement's own expectations (from its JSON summary), one check each."""
    results = []
    for item in _expectations(refine_summary):
        name = str(item.get("name") or item.get("id") or "expectation")
        passed = bool(item.get("passed", item.get("status") in ("pass", "passed", True)))
        evidence = {k: v for k, v in item.items() if isinstance(v, str | int | float | bool)
                    or v is None}
        message = f"{name}: {'met' if passed else 'not met'}"
        if item.get("value") is not None:
            message += f" ({item.get('metric', 'value')} = {item['value']})"
        elif item.get("observed"):
            message += f" ({item['observed']})"
        results.append(CheckResult(f"data.expectations.{_slug(name)}", PASS if passed else FAIL,
                                   message, evidence))
    return results


def _expectations(summary: dict[str, Any]) -> list[dict[str, Any]]:
    raw = summary.get("expectations") or []
    if isinstance(raw, dict):
        return [{"name": k, **(v if isinstance(v, dict) else {"passed": bool(v)})}
                for k, v in sorted(raw.items())]
    return [x for x in raw if isinstance(x, dict)]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "expectation"
