"""Normalise whole columns at once. The per-value normalisers in hotpass.refine.normalise define
what every cell becomes; here the common shapes (plain ASCII text, one plain address, one plain
number, a plain website) are computed with polars expressions that give exactly the same
result, and every other distinct value goes through the per-value normaliser once.

A normalised column is a frame with one row per input cell: `value` (text, or a list of texts
for emails and phones; `name` and `role` for a person) and the problems found, as a frame of
(`i`, `value`, `reason`, `kind`) where `i` is the cell's position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from hotpass.refine import normalise
from hotpass.refine.normalise import LEGAL_SUFFIXES, Normaliser, cell_text, organisation_key

LIST_KINDS = ("email", "phone")
_LIST_JOIN = "\x1f"
PROBLEM_SCHEMA = {"i": pl.UInt32, "value": pl.String, "reason": pl.String, "kind": pl.String}
# ASCII text whose whitespace is only spaces, tabs, line breaks and no-break spaces (U+00A0,
# which Unicode normalisation leaves alone): cell_text is then a plain collapse of whitespace
# runs, which polars does exactly.
_SIMPLE = r"^[ -~\t\n\r\u00a0]*$"
# Printable ASCII words with single spaces between them: cell_text leaves it as it is.
_CLEAN = r"^[!-~]+(?: [!-~]+)*$"
_SIMPLE_EMAIL = normalise._SIMPLE_EMAIL.pattern
_HOST = normalise._HOST.pattern
_PLAIN_URL = r"^(?:[Hh][Tt][Tt][Pp][Ss]?://)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(/[^?# @]*)?$"
# The per-value normalisers' own patterns, so both paths split and match alike.
_EMAIL_SEPARATORS = normalise._EMAIL_SPLIT.pattern
_PHONE_SEPARATORS = normalise._PHONE_SPLIT.pattern
_ROLE_IN_BRACKETS = normalise._ROLE_IN_BRACKETS.pattern
_ROLE_AFTER_DASH = normalise._ROLE_AFTER_DASH.pattern
_SUFFIXES = "|".join(sorted(LEGAL_SUFFIXES))
_TRAILING_SUFFIXES = rf"(?:^| )(?:{_SUFFIXES})(?: (?:{_SUFFIXES}))*$"
Result = tuple[Any, tuple[tuple[str, str, str], ...]]
# Kinds whose common cells are normalised by expression (their values are mostly distinct).
_FAST_KINDS = ("text", "role", "person", "email", "phone", "url")


def shown_text(raw: pl.Expr) -> pl.Expr:
    """cell_text of a simple ASCII cell: whitespace runs become one space, ends trimmed."""
    return raw.str.replace_all(r"[\t\n\r \u00a0]+", " ").str.strip_chars(" ")


class ColumnNormaliser:
    def __init__(self, normaliser: Normaliser) -> None:
        self.norm = normaliser
        profile = normaliser.profile
        self.placeholders = sorted(profile.placeholders)
        self.code, self.nsn = normaliser.code, normaliser.nsn_length

    def normalise(self, kind: str, field: str, raw: pl.Series) -> tuple[pl.DataFrame,
                                                                       pl.DataFrame]:
        """(values, problems) of one column of raw cell text."""
        frame = pl.DataFrame({"raw": raw}).with_columns(
            filled=pl.col("raw").is_not_null() & (pl.col("raw") != ""))
        if kind not in _FAST_KINDS:  # few distinct values as a rule: each is normalised once
            frame = frame.with_columns(fast=pl.lit(False),
                                       fast_value=pl.lit(None, _value_dtype(kind)))
        elif kind == "phone":
            frame = self._phones(_with_text(frame, raw))
        else:
            fast, value = self._fast(kind)
            frame = _with_text(frame, raw).with_columns(fast=fast.fill_null(False),
                                                        fast_value=value)
        return _combine_fast_and_fallback(frame, kind, self._fallback_function(kind, field))

    def _fallback_function(self, kind: str, field: str) -> Callable[[Any], Result]:
        norm = self.norm
        functions: dict[str, Callable[[Any], Result]] = {
            "text": norm.text, "role": norm.text, "person": norm.person, "email": norm.emails,
            "phone": norm.phones, "url": norm.website, "province": norm.province,
            "date": norm.date, "category": lambda v: norm.category(v, field)}
        return functions[kind]

    def _fast(self, kind: str) -> tuple[pl.Expr, pl.Expr]:
        """Which cells the expression handles, and their value (kinds in _FAST_KINDS but
        phone)."""
        text, simple = pl.col("text"), pl.col("simple")
        lower = text.str.to_lowercase()
        kept = text.str.contains("[A-Za-z0-9]") & ~lower.is_in(self.placeholders)
        if kind in ("text", "role"):
            return simple, pl.when(kept).then(text).otherwise(pl.lit(""))
        if kind == "person":
            return simple, pl.when(kept).then(_person(text)).otherwise(
                pl.struct(name=pl.lit(""), role=pl.lit("")))
        if kind == "email":
            return self._emails(text, simple)
        host = text.str.extract(_PLAIN_URL, 1).str.to_lowercase()
        path = text.str.extract(_PLAIN_URL, 2).fill_null("").str.strip_chars_end("/")
        plain = simple & host.str.contains(_HOST).fill_null(False) & \
            ~lower.is_in(self.placeholders)
        return plain, pl.lit("https://") + host + path

    @staticmethod
    def _emails(text: pl.Expr, simple: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """Normaliser.emails where every address in the cell is a plain one."""
        parts = _split(text, _EMAIL_SEPARATORS).list.eval(
            pl.element().str.strip_chars("<>()\"'.").str.strip_prefix("mailto:")
            .str.to_lowercase()).list.eval(pl.element().filter(pl.element() != ""))
        plain = parts.list.eval(pl.element().str.contains(_SIMPLE_EMAIL)).list.all()
        fast = simple & text.str.contains("@", literal=True) & (parts.list.len() > 0) & plain
        return fast, parts.list.unique(maintain_order=True)

    def _phones(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Normaliser.phones where every number in the cell is valid: `fast` and `fast_value`
        columns. One number per row of a long frame, so each step is computed once."""
        parts = frame.select(_split(pl.col("text"), _PHONE_SEPARATORS).alias("part")) \
            .with_row_index("i").explode("part").filter(pl.col("part") != "") \
            .with_columns(digits=pl.col("part").str.replace_all(r"\D", ""))
        parts = parts.with_columns(number=self._phone_number()).with_columns(
            number=pl.when(self._valid_number()).then(pl.col("number")))
        numbers = parts.group_by("i", maintain_order=True).agg(
            valid=pl.col("number").is_not_null().all(),
            fast_value=(pl.lit("+") + pl.col("number")).unique(maintain_order=True))
        frame = frame.with_row_index("i").join(numbers, on="i", how="left",
                                               maintain_order="left")
        return frame.with_columns(fast=pl.col("simple") & pl.col("valid").fill_null(False)) \
            .drop("i", "valid")

    def _phone_number(self) -> pl.Expr:
        """Normaliser.phone's number from `part` and its `digits`, before the length checks."""
        digits, length = pl.col("digits"), pl.col("digits").str.len_chars()
        code, nsn = self.code, self.nsn
        number: Any = pl.when(length < 7).then(None)  # a When/Then chain, extended below
        number = number.when(pl.col("part").str.starts_with("+")).then(digits)
        number = number.when(digits.str.starts_with("00")).then(digits.str.slice(2))
        if code:
            number = number.when(digits.str.starts_with("0")).then(
                pl.lit(code) + digits.str.slice(1))
            whole = digits.str.starts_with(code)
            if nsn is not None:
                whole = whole & (length == len(code) + nsn)
            number = number.when(whole).then(digits)
            if nsn is not None:
                number = number.when(length == nsn).then(pl.lit(code) + digits)
        result: pl.Expr = number.otherwise(None)
        return result

    def _valid_number(self) -> pl.Expr:
        number = pl.col("number")
        length = number.str.len_chars()
        valid = (length >= 8) & (length <= 15)
        if self.code and self.nsn is not None:
            valid = valid & (~number.str.starts_with(self.code)
                             | (length == len(self.code) + self.nsn))
        return valid


def _with_text(frame: pl.DataFrame, raw: pl.Series) -> pl.DataFrame:
    """`text` (cell_text of `raw`) and `simple` (where that is the whole of cell_text)."""
    if raw.str.contains(_CLEAN).fill_null(True).all():  # nothing to trim or collapse
        return frame.with_columns(simple=pl.col("raw").is_not_null(), text=pl.col("raw"))
    return frame.with_columns(simple=pl.col("raw").str.contains(_SIMPLE).fill_null(False),
                              text=shown_text(pl.col("raw")))


def _split(text: pl.Expr, separators: str) -> pl.Expr:
    return text.str.replace_all(separators, _LIST_JOIN).str.split(_LIST_JOIN)


def _person(text: pl.Expr) -> pl.Expr:
    """split_person: 'Jane Doe (Chief Pilot)' -> ('Jane Doe', 'Chief Pilot')."""
    names, roles = [], []
    for pattern in (_ROLE_IN_BRACKETS, _ROLE_AFTER_DASH):
        groups = text.str.extract_groups(pattern)
        name, role = groups.struct.field("1"), groups.struct.field("2")
        found = (name.fill_null("") != "") & (role.fill_null("") != "")
        names.append(pl.when(found).then(name.str.strip_chars(" ,")))
        roles.append(pl.when(found).then(role.str.strip_chars()))
    return pl.struct(name=pl.coalesce(*names, text), role=pl.coalesce(*roles, pl.lit("")))


def _empty_value(kind: str) -> Any:
    if kind in LIST_KINDS:
        return pl.lit([], pl.List(pl.String))
    if kind == "person":
        return pl.struct(name=pl.lit(""), role=pl.lit(""))
    return pl.lit("")


def _value_dtype(kind: str) -> pl.DataType | type[pl.DataType]:
    if kind in LIST_KINDS:
        return pl.List(pl.String)
    if kind == "person":
        return pl.Struct({"name": pl.String, "role": pl.String})
    return pl.String


def _combine_fast_and_fallback(frame: pl.DataFrame, kind: str,
                               function: Callable[[Any], Result],
                               ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cells the `fast` column marks take `fast_value`; every other distinct value goes
    through `function` once."""
    frame = frame.with_columns(fast=pl.col("filled") & pl.col("fast"))
    slow = frame.filter(pl.col("filled") & ~pl.col("fast"))["raw"].unique(maintain_order=True)
    raws = slow.to_list()
    results = [function(v) for v in raws]
    mapping = pl.DataFrame({"raw": pl.Series(raws, dtype=pl.String),
                            **_slow_columns(kind, [r[0] for r in results])})
    if raws:
        frame = frame.join(mapping, on="raw", how="left", maintain_order="left")
    else:
        frame = frame.with_columns(*(pl.lit(None, c.dtype).alias(c.name)
                                     for c in mapping.iter_columns() if c.name != "raw"))
    values = frame.select(
        pl.when(~pl.col("filled")).then(_empty_value(kind))
        .when(pl.col("fast")).then(pl.col("fast_value"))
        .otherwise(_slow_value(kind)).alias("value"))
    return values, _problems(frame, raws, results)


# Python lists and dicts become polars lists and structs slowly (one object at a time), so the
# per-value results travel as plain text columns: a list joined by a character no email or
# phone number contains, a person as two columns.


def _slow_columns(kind: str, values: list[Any]) -> dict[str, pl.Series]:
    if kind in LIST_KINDS:
        return {"slow": pl.Series([_LIST_JOIN.join(v) for v in values], dtype=pl.String)}
    if kind == "person":
        return {"slow": pl.Series([v[0] for v in values], dtype=pl.String),
                "slow_role": pl.Series([v[1] for v in values], dtype=pl.String)}
    return {"slow": pl.Series(values, dtype=pl.String)}


def _slow_value(kind: str) -> pl.Expr:
    slow = pl.col("slow")
    if kind in LIST_KINDS:
        return pl.when(slow == "").then(pl.lit([], pl.List(pl.String))).otherwise(
            slow.str.split(_LIST_JOIN))
    if kind == "person":
        return pl.struct(name=slow, role=pl.col("slow_role"))
    return slow


def _problems(frame: pl.DataFrame, raws: list[str], results: list[Result]) -> pl.DataFrame:
    found = [(raw, p) for raw, result in zip(raws, results, strict=True) for p in result[1]]
    if not found:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    problems = pl.DataFrame({
        "raw": [raw for raw, _ in found], "value": [p[0] for _, p in found],
        "reason": [p[1] for _, p in found], "kind": [p[2] for _, p in found]},
        schema={"raw": pl.String, **{k: v for k, v in PROBLEM_SCHEMA.items() if k != "i"}})
    positions = frame.select("raw").with_row_index("i").filter(pl.col("raw").is_in(raws))
    return positions.join(problems, on="raw", how="inner", maintain_order="left_right") \
        .sort("i", maintain_order=True).select(*PROBLEM_SCHEMA)


def per_distinct(values: pl.Series, function: Callable[[Any], Any],
                 dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    """function(value) for each value (null stays null), called once per distinct value: a
    per-value Python function over a column."""
    distinct = values.drop_nulls().unique().to_list()
    return values.replace_strict(distinct, [function(v) for v in distinct], default=None,
                                 return_dtype=dtype)


def organisation_keys(names: pl.Series) -> pl.Series:
    """organisation_key of every name ("" for ""), ASCII names by expression."""
    folded = (names.str.replace_all("&", " and ", literal=True).str.to_lowercase()
              .str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars(" "))
    trimmed = (" " + folded.str.replace(_TRAILING_SUFFIXES, "") + " ") \
        .str.replace_all("( pty)+ ", " ").str.strip_chars(" ")
    keys = pl.select(pl.when(trimmed.str.starts_with("the ")).then(trimmed.str.slice(4))
                     .otherwise(trimmed)).to_series()
    ascii_names = names.str.contains(r"^[ -~]*$")
    if ascii_names.all():
        return keys
    return keys.zip_with(ascii_names, per_distinct(_only(names, ~ascii_names),
                                                   organisation_key, pl.String))


def shown_texts(raw: pl.Series) -> pl.Series:
    """cell_text of every cell (null stays null)."""
    if raw.str.contains(_CLEAN).fill_null(True).all():
        return raw
    simple = raw.str.contains(_SIMPLE).fill_null(True)
    collapsed = pl.select(shown_text(pl.lit(raw))).to_series().alias(raw.name)
    if simple.all():
        return collapsed
    return collapsed.zip_with(simple, per_distinct(_only(raw, ~simple), cell_text, pl.String))


def _only(values: pl.Series, mask: pl.Series) -> pl.Series:
    """`values` where `mask` holds, null elsewhere."""
    return pl.select(pl.when(mask).then(values)).to_series()
