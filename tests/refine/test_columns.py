"""The column-wise normalisers give exactly what the per-value normalisers give, for the common
shapes they compute by expression and for every shape they hand back."""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl
import pytest

from hotpass.refine.columns import ColumnNormaliser, organisation_keys, shown_texts
from hotpass.refine.normalise import Normaliser, cell_text, organisation_key
from hotpass.refine.profile import load_profile

TEXTS = ["Acme Aviation", "  Acme   Aviation ", "Acme\nAviation\tLtd", "n/a", "N/A", "—", "0",
         "?", "...", "Café Air", "Zoë\u00a0Air", "a\u200bb", "x", "  ", "Unknown", "tbc air",
         "R&D (Pty) Ltd", "line\x0bbreak", "ACME"]
PEOPLE = ["Jane Doe", "Jane Doe (Chief Pilot)", "Jane Doe [Owner]", "Sam Smith - Owner",
          "Sam Smith – Owner", "(Pilot)", "Jane (", "Doe, (CEO) ", "A - B - C", "n/a", "—",
          " Jane  Doe  ( Chief  Pilot ) ", "Ann Lee (Ops) (x)"]
EMAILS = ["jane@example.com", "  JANE.DOE@Example.COM ", "a@example.org; b@example.org",
          "a@example.org,a@example.org", "<ops@example.com>", "mailto:x@example.com",
          "MAILTO:x@example.com", "n/a", "broken@@example", "a@b", "a@example.com / bad@",
          "a@example.com|b@example.com", "o'neil@example.ie", "x@example.com.", "",
          "ünïcode@example.com", "first.last+tag@sub.example.co.za"]
PHONES = ["27821234567", "0821234568", "082 123 4569", "082 123 4570\u00a0",
          "082 123 4570; +27 21 555 0101 / 011-555-0102", "—", "12345", "+27 82 123 4567",
          "0027821234567", "821234567", "082 123 4567 or 083 765 4321", "082&083", "+1 555 0100",
          "27 82 123 45678", "(082) 123-4567", "n/a", "0", "+442071234567", "082;;083 111 2222"]
WEBSITES = ["www.acme.example.com", "https://acme.example.com/about/", "HTTP://Acme.Example.COM",
            "acme.example.com/Path/To", "tbc", "ftp://x.example.com", "http://x.example.com:8080",
            "x.example.com?q=1", "user@x.example.com", "not a site", "x.example.", "x.e",
            "https://x-y.example.co.za/a#top", "—", "café.example.com"]
DATES = ["05/03/2024", "31/02/2024", "45356", "2024-03-05", "2024-03-05T13:30:00", "n/a", "x"]
NAMES = ["Acme Aviation (Pty) Ltd", "ACME AVIATION", "The Acme Co", "the", "Ltd", "Pty Ltd",
         "Acme & Sons", "Acme_Aviation", "Acme Pty Aviation", "Acme Ltd Pty", "Café Air CC",
         "Ærø Air", "", "Acme  Aviation Ltd", "the the", "Co Acme Ltd", "Acme.co"]


@pytest.fixture(scope="module")
def columns() -> ColumnNormaliser:
    return ColumnNormaliser(Normaliser(load_profile("generic")))


def _expected(function: Any, values: list[str | None]) -> tuple[list[Any], list[tuple[Any, ...]]]:
    results, problems = [], []
    for i, value in enumerate(values):
        if value is None or value == "":
            results.append(None)
            continue
        result, found = function(value)
        results.append(result)
        problems += [(i, *p) for p in found]
    return results, problems


def _plain(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("email", "phone"):
        return tuple(value)
    if kind == "person":
        return (value["name"], value["role"])
    return value


@pytest.mark.parametrize(("kind", "field", "values"), [
    ("text", "organization_name", TEXTS), ("person", "contact_name", PEOPLE),
    ("email", "contact_email", EMAILS), ("phone", "contact_phone", PHONES),
    ("url", "website", WEBSITES), ("date", "last_updated", DATES),
    ("province", "province", ["KZN", "Kwa-Zulu Natal", "Atlantis", "Unknown", "gp"]),
    ("category", "category", ["flight school", "Flight School", "—", "Broker"])])
def test_column_normaliser_matches_the_per_value_normaliser(
        columns: ColumnNormaliser, kind: str, field: str, values: list[str]) -> None:
    cells = [*values, None, *reversed(values)]  # repeated values, and an empty cell
    function = columns._fallback_function(kind, field)
    expected, expected_problems = _expected(function, cells)
    found, problems = columns.normalise(kind, field, pl.Series(cells, dtype=pl.String))
    got = [_plain(kind, v) for v in found["value"].to_list()]
    for value, want, have in zip(cells, expected, got, strict=True):
        if want is not None:
            assert have == want, value
    assert [tuple(r) for r in problems.iter_rows()] == expected_problems


def test_organisation_keys_match_organisation_key() -> None:
    names = [cell_text(n) for n in NAMES] + [" ".join(p) for p in
                                            itertools.permutations(["the", "acme", "ltd"])]
    assert organisation_keys(pl.Series(names)).to_list() == [organisation_key(n) for n in names]


def test_shown_texts_match_cell_text() -> None:
    texts = [*TEXTS, *PEOPLE, None]
    assert shown_texts(pl.Series(texts, dtype=pl.String)).to_list() == [
        None if t is None else cell_text(t) for t in texts]
