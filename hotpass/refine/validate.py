"""Profile expectations over the refined rows, and the rows of the `summary` sheet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from hotpass.refine.model import SheetStats
from hotpass.refine.profile import Expectation, Profile

_SHARE_COLUMNS = {"share_with_email": "primary_contact_email",
                  "share_with_phone": "primary_contact_phone", "share_with_website": "website"}


def measure(metric: str, refined: pl.DataFrame, records_in: int, rejected: int) -> float:
    if metric == "records_out":
        return float(refined.height)
    if metric == "rejected_share":
        return rejected / records_in if records_in else 0.0
    column = _SHARE_COLUMNS[metric]
    if not refined.height or column not in refined.columns:
        return 0.0
    return int((refined[column] != "").sum()) / refined.height


def check_expectations(profile: Profile, refined: pl.DataFrame, records_in: int,
                       rejected: int) -> list[dict[str, Any]]:
    return [_check(e, measure(e.metric, refined, records_in, rejected))
            for e in profile.expectations]


def _check(expectation: Expectation, value: float) -> dict[str, Any]:
    passed = (expectation.min is None or value >= expectation.min) and \
        (expectation.max is None or value <= expectation.max)
    shown: float | int = int(value) if expectation.metric == "records_out" else round(value, 4)
    return {"name": expectation.name, "metric": expectation.metric, "value": shown,
            "min": expectation.min, "max": expectation.max, "passed": passed}


def summary_rows(run: dict[str, Any], stats: Sequence[SheetStats], issues: pl.DataFrame,
                 expectations: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [{"section": "run", "item": k, "value": str(v)} for k, v in run.items()]
    for s in stats:
        where = f"{s.source}|{s.sheet}" if s.sheet else s.source
        for item in ("records", "rejected", "hidden_rows", "ghost_rows", "blank_rows",
                     "header_row"):
            value = getattr(s, item)
            rows.append({"section": "source", "item": f"{where}: {item}",
                         "value": "" if value is None else str(value)})
    rule = pl.format("{}: {}{}", "kind", pl.when(pl.col("field") != "").then(
        pl.col("field") + pl.lit(": ")).otherwise(pl.lit("")), "reason")
    per_rule = issues.group_by(rule.alias("rule")).len().sort("rule")
    rows += [{"section": "rule", "item": item, "value": str(count)}
             for item, count in per_rule.iter_rows()]
    for e in expectations:
        bound = " ".join(f"{k} {e[k]}" for k in ("min", "max") if e[k] is not None)
        rows.append({"section": "expectation", "item": e["name"],
                     "value": f"{'pass' if e['passed'] else 'FAIL'}: {e['metric']} = "
                              f"{e['value']} ({bound})"})
    return rows
