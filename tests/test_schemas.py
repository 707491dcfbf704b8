"""The shipped JSON Schemas as hotpass checks documents against them."""

from __future__ import annotations

from hotpass.schemas import document_problems


def test_problems_name_the_field_and_the_rule() -> None:
    problems = document_problems("qa-report", {"status": "maybe"})
    assert any(p.startswith("status: 'maybe' is not one of") for p in problems), problems
    assert any(p.startswith("<root>: 'checks' is a required property") for p in problems)


def test_a_valid_document_has_no_problems() -> None:
    report = {"status": "pass", "suites": ["manifests"], "counts": {"pass": 0, "warn": 0,
              "fail": 0}, "checks": [], "data_profile": None, "data_docs": None}
    assert document_problems("qa-report", report) == []
