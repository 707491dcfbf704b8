"""Data docs: one static HTML page per QA run (no JavaScript, no external assets) showing each
check, the expectation results per column with counts, and the refined output's profile."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from hotpass.fsutil import atomic_write_text
from hotpass.qa.report import CheckResult, DataProfile, QaReport

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#116329;font-weight:600}.warn{color:#7d4e00;font-weight:600}
.fail{color:#a40e26;font-weight:600}
.bar{background:#e6e9ee;width:8rem;height:.7rem;display:inline-block;vertical-align:middle}
.bar span{background:#a40e26;height:100%;display:block}
details pre{white-space:pre-wrap;font-size:12px;margin:.3rem 0}
"""


def render_data_docs(report: QaReport) -> str:
    counts = report.counts
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        "<title>hotpass data docs</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        "<h1>hotpass data docs</h1>",
        f'<p>Overall: {_status(report.status)} — {counts["pass"]} pass, {counts["warn"]} warn, '
        f'{counts["fail"]} fail. Suites: {escape(", ".join(report.suites))}.</p>',
        "<h2>Checks</h2>", _checks_table(report.checks),
        "<h2>Expectations per column</h2>", _columns_table(report.checks),
        "<h2>Refined output profile</h2>", _profile_section(report.data_profile),
        "</body>", "</html>",
    ]
    return "\n".join(parts) + "\n"


def write_data_docs(path: Path, report: QaReport) -> Path:
    return atomic_write_text(path, render_data_docs(report))


def _status(status: str) -> str:
    return f'<span class="{escape(status)}">{escape(status)}</span>'


def _checks_table(checks: tuple[CheckResult, ...]) -> str:
    rows = ["<table>", "<tr><th>check</th><th>status</th><th>message</th><th>evidence</th></tr>"]
    for check in checks:
        evidence = json.dumps(check.evidence, indent=1, sort_keys=True, ensure_ascii=False)
        rows.append(f"<tr><td>{escape(check.id)}</td><td>{_status(check.status)}</td>"
                    f"<td>{escape(check.message)}</td><td><details><summary>show</summary>"
                    f"<pre>{escape(evidence)}</pre></details></td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _columns_table(checks: tuple[CheckResult, ...]) -> str:
    columns = [c for c in checks if c.id.startswith("data.columns.")]
    if not columns:
        return "<p>The data suite did not run or found no profiled columns.</p>"
    rows = ["<table>", "<tr><th>column</th><th>expectation</th><th>status</th><th>rows</th>"
            "<th>empty</th><th>values checked</th><th>values failing</th></tr>"]
    for check in columns:
        ev: dict[str, Any] = check.evidence
        rows.append(
            f"<tr><td>{escape(str(ev.get('column', check.id)))}</td>"
            f"<td>{escape(str(ev.get('expectation', check.message)))}</td>"
            f"<td>{_status(check.status)}</td>"
            + "".join(f'<td class="num">{escape(str(ev.get(k, "")))}</td>'
                      for k in ("rows", "nulls", "values_checked", "values_failed"))
            + "</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _profile_section(profile: DataProfile | None) -> str:
    if profile is None:
        return "<p>No refined output was profiled.</p>"
    rows = [f"<p>{escape(profile.source)}: {profile.rows} rows, {len(profile.columns)} columns."
            "</p>", "<table>", "<tr><th>column</th><th>non-empty</th><th>empty share</th>"
            "<th>distinct</th><th>top values</th></tr>"]
    for column in profile.columns:
        share = column.null_share
        top = "<br>".join(f"{escape(v)} <small>({c})</small>" for v, c in column.top_values)
        rows.append(f"<tr><td>{escape(column.name)}</td><td class=\"num\">{column.non_null}</td>"
                    f'<td><span class="bar"><span style="width:{share * 100:.1f}%"></span>'
                    f"</span> {share:.1%}</td><td class=\"num\">{column.distinct}</td>"
                    f"<td>{top}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)
