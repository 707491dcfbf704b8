"""The `data` suite: expectations per column of the refined output (required fields present,
values in their canonical forms and allowed sets), plus the refinement's own expectations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from hotpass.qa.report import FAIL, PASS, WARN, CheckResult

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_URL = re.compile(r"^https://[^\s/]+\.[^\s]+$")
_SPLIT = re.compile(r"\s*[;,]\s*|\s+/\s+")


class Rule(NamedTuple):
    """What a column's values must be: `description` is shown, `predicate` checks one value and
    `severity` (FAIL or WARN) is the verdict when any value does not match."""

    description: str
    predicate: Callable[[str], bool]
    severity: str


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
    results = [_missing_required(f, header) for f in sorted(required)
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


def _missing_required(field: str, header: list[str]) -> CheckResult:
    return CheckResult(f"data.columns.{field}", FAIL,
                       f"required field {field} has no column in the refined output",
                       {"columns": header})


def _rule(profile: Any, field: str, kind: str) -> Rule | None:
    """Canonical forms (e-mail, phone, URL) fail when violated; allowed sets (provinces,
    categories) only warn."""
    if kind == "email":
        return Rule("a valid lower-case e-mail address",
                    lambda v: bool(_EMAIL.match(v)) and v == v.lower(), FAIL)
    if kind == "phone":
        return Rule("an E.164 phone number", lambda v: bool(_E164.match(v)), FAIL)
    if kind == "url":
        return Rule("an https:// URL", lambda v: bool(_URL.match(v)), FAIL)
    if kind == "province" and profile.province_aliases:
        allowed = set(profile.province_aliases.values())
        return Rule(f"one of {len(allowed)} provinces", lambda v: v in allowed, WARN)
    values = set(profile.fields[field].values)
    if kind == "category" and values:
        return Rule(f"one of {', '.join(sorted(values))}", lambda v: v in values, WARN)
    return None


def _column_result(column: str, field: str, values: list[str], required: bool,
                   rule: Rule | None) -> CheckResult:
    present = [v for v in values if v.strip()]
    nulls = len(values) - len(present)
    items = [p for v in present for p in _SPLIT.split(v) if p] if rule else []
    failed = sum(1 for p in items if rule and not rule.predicate(p))
    evidence: dict[str, Any] = {"column": column, "field": field, "rows": len(values),
                                "non_null": len(present), "nulls": nulls,
                                "values_checked": len(items), "values_failed": failed,
                                "expectation": ("present in every row" if required else
                                                rule.description if rule else
                                                "profiled only")}
    check_id = f"data.columns.{column.strip().replace(' ', '_')}"
    if required and nulls:
        return CheckResult(check_id, FAIL, f"{column}: {nulls} of {len(values)} rows empty "
                           "(required field)", evidence)
    if failed and rule:
        return CheckResult(check_id, rule.severity, f"{column}: {failed} of {len(items)} values "
                           f"are not {rule.description}", evidence)
    if required:
        what = "present in every row"
    elif rule and items:
        what = f"all {len(items)} values are {rule.description}"
    else:
        what = f"{len(present)} values" if present else "no values (nothing to check)"
    return CheckResult(check_id, PASS, f"{column}: {what}", evidence)


def expectation_checks(refine_summary: dict[str, Any]) -> list[CheckResult]:
    """The refinement's own expectations (from its JSON summary), one check each."""
    results = []
    expectations: list[dict[str, Any]] = refine_summary.get("expectations") or []
    for item in expectations:
        name, passed = str(item["name"]), bool(item["passed"])
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


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "expectation"
