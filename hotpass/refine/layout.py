"""From a sheet's cells to candidate rows: fill vertical merges, find the header row below any
title rows (or infer columns when there is none), map headings to canonical fields, and skip
blank and formula-only "ghost" rows. Hidden rows are kept and flagged."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from hotpass.refine.model import SheetStats
from hotpass.refine.profile import Profile, heading_key
from hotpass.refine.read import SheetTable, filled
from hotpass.refine.xlsxmeta import column_letters

_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL_LIKE = re.compile(r"^(https?://|www\.)", re.I)
_PHONE_LIKE = re.compile(r"^[+(]?[\d][\d ()./;\-\u00a0]{7,}$")
_SAMPLE_ROWS = 50


@dataclass(frozen=True)
class ColumnMap:
    header_row: int | None  # 0-based index of the header row; None for a headerless sheet
    fields: list[tuple[int, str]]  # (column, canonical field)
    extras: list[tuple[int, str]]  # (column, heading) of columns kept in `extra`


def fill_merged(table: SheetTable) -> None:
    """Copy each merged range's value down its first column (vertical and block merges)."""
    frame = table.frame
    by_column: dict[int, list[tuple[int, int]]] = {}
    for r0, c0, r1, _c1 in table.merged:
        if r0 < frame.height and c0 < frame.width and r1 > r0:
            by_column.setdefault(c0, []).append((r0, min(r1, frame.height - 1)))
    for c, ranges in by_column.items():
        values = frame[f"c{c}"].to_list()
        for r0, r1 in ranges:
            for r in range(r0 + 1, r1 + 1):
                if not filled(values[r]):
                    values[r] = values[r0]
        frame = frame.with_columns(pl.Series(f"c{c}", values, dtype=pl.String))
    table.frame = frame


def find_columns(table: SheetTable, profile: Profile) -> ColumnMap:
    index = profile.synonym_index
    best_row, best_score = None, 0
    for r, row in enumerate(table.frame.head(profile.header_scan_rows).rows()):
        fields = {index.get(heading_key(str(v))) for v in row if isinstance(v, str) and v}
        fields.discard(None)
        if len(fields) > best_score:
            best_row, best_score = r, len(fields)
    if best_row is None:
        return _infer_columns(table, profile, start=0, header=None)
    return _map_header(table, profile, best_row)


def _map_header(table: SheetTable, profile: Profile, header_row: int) -> ColumnMap:
    index = profile.synonym_index
    fields: list[tuple[int, str]] = []
    extras: list[tuple[int, str]] = []
    unnamed: list[int] = []
    for c, heading in enumerate(table.frame.row(header_row)):
        text = str(heading).strip() if filled(heading) else ""
        name = index.get(heading_key(text)) if text else None
        if name:
            fields.append((c, name))
        elif text:
            extras.append((c, text))
        else:
            unnamed.append(c)
    inferred = _infer_columns(table, profile, start=header_row + 1, header=header_row,
                              only=unnamed, taken={f for _, f in fields})
    return ColumnMap(header_row, fields + inferred.fields, extras + inferred.extras)


def _infer_columns(table: SheetTable, profile: Profile, *, start: int, header: int | None,
                   only: list[int] | None = None, taken: set[str] | None = None) -> ColumnMap:
    """Guess fields of columns without a heading from their values."""
    sample = [row for row in table.frame.slice(start, _SAMPLE_ROWS * 4).rows()
              if any(filled(v) for v in row)][:_SAMPLE_ROWS]
    width = max((len(r) for r in sample), default=0)
    columns = only if only is not None else list(range(width))
    taken = set(taken or ())
    fields: list[tuple[int, str]] = []
    extras: list[tuple[int, str]] = []
    for c in columns:
        values = [str(r[c]).strip() for r in sample if c < len(r) and filled(r[c])]
        if not values:
            continue
        kind = _guess_kind(values)
        name = _field_for_kind(profile, kind, taken)
        if name:
            fields.append((c, name))
            if kind != "phone":
                taken.add(name)
        else:
            extras.append((c, f"column {column_letters(c)}"))
    return ColumnMap(header, fields, extras)


def _guess_kind(values: list[str]) -> str:
    def share(pattern: re.Pattern[str], fn: str = "search") -> float:
        return sum(1 for v in values if getattr(pattern, fn)(v)) / len(values)

    if share(_EMAIL_LIKE) >= 0.5:
        return "email"
    if share(_URL_LIKE, "match") >= 0.5:
        return "url"
    if share(_PHONE_LIKE, "match") >= 0.5:
        return "phone"
    if sum(1 for v in values if any(ch.isalpha() for ch in v)) / len(values) >= 0.8:
        return "text"
    return "other"


def _field_for_kind(profile: Profile, kind: str, taken: set[str]) -> str | None:
    wanted = {"email": "email", "url": "url", "phone": "phone"}.get(kind)
    if wanted:
        candidates = profile.fields_of_type(wanted)
        return next((f for f in candidates if wanted == "phone" or f not in taken), None)
    if kind == "text":
        candidates = ["organization_name", *profile.fields_of_type("person")]
        return next((f for f in candidates if f in profile.fields and f not in taken), None)
    return None


def record_rows(table: SheetTable, columns: ColumnMap, stats: SheetStats) -> list[int]:
    """0-based indexes of the candidate record rows below the header; counts skipped rows."""
    start = 0 if columns.header_row is None else columns.header_row + 1
    frame = table.frame.slice(start)
    filled_cells = [pl.col(c).is_not_null() & (pl.col(c) != "") for c in frame.columns]
    checks = [pl.any_horizontal(filled_cells).alias("filled")]
    if columns.header_row is not None:
        header = table.frame.row(columns.header_row)
        checks.append(pl.all_horizontal([pl.col(c).eq_missing(pl.lit(v, pl.String))
                                         for c, v in zip(frame.columns, header, strict=True)])
                      .alias("header"))
    flags = frame.select(*checks).with_row_index("r", offset=start)
    if columns.header_row is None:
        flags = flags.with_columns(header=pl.lit(False))
    ghosts = _ghost_rows(table, start)
    kept = flags.filter(pl.col("filled") & ~pl.col("header") & ~pl.col("r").is_in(ghosts))
    non_blank = int(flags["filled"].sum())
    stats.blank_rows += frame.height - non_blank
    stats.rows_read += non_blank
    stats.ghost_rows += len(ghosts)
    return kept["r"].to_list()


def _ghost_rows(table: SheetTable, start: int) -> list[int]:
    """Rows whose only values are formula results ("=ROW()" copied down a sheet)."""
    rows = sorted(r for r in table.formula_cells if start <= r < table.frame.height)
    if not rows:
        return []
    ghosts = []
    for r, row in zip(rows, table.frame[rows].rows(), strict=True):
        with_value = [c for c, v in enumerate(row) if v is not None and v != ""]
        if with_value and table.formula_cells[r].issuperset(with_value):
            ghosts.append(r)
    return ghosts
