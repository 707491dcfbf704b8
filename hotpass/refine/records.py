"""A sheet's candidate rows -> a frame of normalised records, column by column (see
hotpass.refine.columns). Rows missing a required field are rejected with their values in the
issues; every dropped value is an issue at its source row."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

import polars as pl

from hotpass.refine.columns import ColumnNormaliser, organisation_keys, shown_texts
from hotpass.refine.layout import ColumnMap
from hotpass.refine.model import ISSUE_FRAME_SCHEMA, REJECTED_ROW, record_schema
from hotpass.refine.normalise import Normaliser, cell_text
from hotpass.refine.profile import Profile
from hotpass.refine.read import SheetTable
from hotpass.refine.threads import workers

CONTACT_TYPES = ("person", "role", "email", "phone")


class RecordBuilder:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.columns = ColumnNormaliser(Normaliser(profile))
        self.types = {name: spec.type for name, spec in profile.fields.items()}
        self.org_fields = [n for n, t in self.types.items() if t not in CONTACT_TYPES]
        self.schema = record_schema(self.org_fields)
        self._priorities: dict[tuple[str, str], int] = {}

    def priority(self, source: str, sheet: str) -> int:
        cached = self._priorities.get((source, sheet))
        if cached is None:
            names = [source.casefold(), f"{source}/{sheet}".casefold()]
            cached = next((prio for pattern, prio in self.profile.source_priorities
                           if any(fnmatch(n, pattern.casefold()) for n in names)), 0)
            self._priorities[(source, sheet)] = cached
        return cached

    def build_sheet(self, table: SheetTable, columns: ColumnMap, indexes: list[int],
                    ) -> tuple[pl.DataFrame, pl.DataFrame, int]:
        """(records, issues, rejected count) of the rows at `indexes`."""
        cells = table.frame[indexes] if indexes else table.frame.clear()
        rows = pl.Series("row", [r + 1 for r in indexes], dtype=pl.Int64)
        by_field: dict[str, list[int]] = {}
        for c, name in columns.fields:
            by_field.setdefault(name, []).append(c)
        names = list(by_field)
        raw = [[cells[f"c{c}"] for c in by_field[name]] for name in names]
        # Fields are independent, and polars works outside the GIL: two at a time.
        with workers(2, "hotpass-field") as pool:
            done = list(pool.map(self._field, names, raw, range(len(names))))
        values = {name: value for name, (value, _) in zip(names, done, strict=True)}
        problems = [found for _, found_list in done for found in found_list]
        frame = self._assemble(table, values, cells, columns, rows)
        missing = self._missing(frame, values)
        issues = [_field_issues(table, rows, problems),
                  self._rejected_issues(table, columns, cells, rows, missing)]
        records = frame.filter(missing == "").select(list(self.schema))
        return records, pl.concat(issues), frame.height - records.height

    def _field(self, name: str, raw_columns: list[pl.Series], order: int,
               ) -> tuple[pl.Series, list[pl.DataFrame]]:
        """The field's value per row (its columns combined), and its problems."""
        kind = self.types[name]
        results, problems = [], []
        for raw in raw_columns:
            value, found = self.columns.normalise(kind, name, raw)
            problems.append(found.with_columns(field=pl.lit(name), order=pl.lit(order)))
            results.append(value["value"])
        return (results[0] if len(results) == 1 else _combine(kind, results)), problems

    def _assemble(self, table: SheetTable, values: dict[str, pl.Series], cells: pl.DataFrame,
                  columns: ColumnMap, rows: pl.Series) -> pl.DataFrame:
        height = rows.len()
        frame = pl.DataFrame({"row": rows}).with_columns(
            source=pl.lit(table.source), sheet=pl.lit(table.sheet),
            hidden=pl.col("row").sub(1).is_in(sorted(table.hidden_rows)),
            priority=pl.lit(self.priority(table.source, table.sheet), pl.Int64))
        org = {n: values.get(n, pl.Series(n, [""] * height, dtype=pl.String)).alias(n)
               for n in self.org_fields}
        names = values.get("organization_name")
        with workers(1, "hotpass-keys") as pool:
            # The organisation keys beside the rest (polars works outside the GIL).
            keyed = pool.submit(organisation_keys, names) if names is not None else None
            frame = frame.with_columns(*org.values(), *self._contact(values, height),
                                       extra=_extras(cells, columns, height),
                                       recency=self._recency(values, height))
        keys = keyed.result() if keyed is not None else pl.Series([""] * height, dtype=pl.String)
        return frame.with_columns(key=pl.when(keys == "").then(
            pl.format("~{}|{}|{}", "source", "sheet", "row")).otherwise(keys), has_key=keys != "")

    def _contact(self, values: dict[str, pl.Series], height: int) -> list[pl.Series]:
        by_kind: dict[str, list[pl.Series]] = {}
        for field, column in values.items():
            if self.types[field] in CONTACT_TYPES:
                by_kind.setdefault(self.types[field], []).append(column)
        if any(len(v) > 1 for v in by_kind.values()):
            return _merged_contacts(by_kind, height)
        blank = pl.Series([""] * height, dtype=pl.String)
        person = by_kind.get("person")
        name = person[0].struct.field("name") if person else blank
        role_of_person = person[0].struct.field("role") if person else blank
        role = by_kind["role"][0] if "role" in by_kind else blank
        empty = pl.select(pl.repeat(pl.lit([], pl.List(pl.String)), height)).to_series()
        return [name.alias("contact_name"),
                pl.select(pl.when(role != "").then(role).otherwise(role_of_person))
                .to_series().alias("contact_role"),
                by_kind.get("email", [empty])[0].alias("emails"),
                by_kind.get("phone", [empty])[0].alias("phones")]

    def _recency(self, values: dict[str, pl.Series], height: int) -> pl.Series:
        """yyyymmdd of each row's latest date field, 0 when it has none."""
        dates = [values[n] for n in self.profile.fields_of_type("date") if n in values]
        if not dates:
            return pl.Series([0] * height, dtype=pl.Int64)
        ints = [pl.select(d.str.replace_all("-", "").str.slice(0, 8)
                          .cast(pl.Int64, strict=False).fill_null(0)).to_series()
                for d in dates]
        return pl.select(pl.max_horizontal(ints)).to_series()

    def _missing(self, frame: pl.DataFrame, values: dict[str, pl.Series]) -> pl.Series:
        """Per row, the required fields it lacks joined by ','; "" when it has them all."""
        required = self.profile.required
        checks = [pl.when(self._lacks(f, values)).then(pl.lit(f)) for f in required]
        missing = pl.concat_list(checks).list.drop_nulls().list.join(",") if checks else \
            pl.lit("")
        if "organization_name" in required:
            missing = pl.when((missing == "") & ~pl.col("has_key")).then(
                pl.lit("organization_name")).otherwise(missing)
        return frame.select(missing.alias("missing"))["missing"]

    def _lacks(self, field: str, values: dict[str, pl.Series]) -> pl.Expr:
        if field in self.org_fields:
            return pl.col(field) == "" if field in values else pl.lit(True)
        column = {"contact_name": "contact_name", "contact_role": "contact_role",
                  "contact_email": "emails", "contact_phone": "phones"}.get(field)
        if column is None:
            return pl.lit(True)
        return pl.col(column).list.len() == 0 if column in ("emails", "phones") else \
            pl.col(column) == ""

    def _rejected_issues(self, table: SheetTable, columns: ColumnMap, cells: pl.DataFrame,
                         rows: pl.Series, missing: pl.Series) -> pl.DataFrame:
        positions = (missing != "").arg_true().to_list()
        found = []
        for i in positions:
            lacking = missing[i].split(",")
            found.append({"kind": REJECTED_ROW, "source_file": table.source,
                          "source_sheet": table.sheet, "source_row": rows[i],
                          "field": ",".join(lacking), "value": _row_text(columns, cells.row(i)),
                          "reason": "missing required field: " + ", ".join(lacking),
                          "order": 1 << 30})
        return pl.DataFrame(found, schema=ISSUE_FRAME_SCHEMA)


def _field_issues(table: SheetTable, rows: pl.Series, problems: list[pl.DataFrame],
                  ) -> pl.DataFrame:
    frame = pl.concat(problems) if problems else pl.DataFrame()
    if frame.height == 0:
        return pl.DataFrame(schema=ISSUE_FRAME_SCHEMA)
    return frame.select(
        kind=pl.col("kind"), source_file=pl.lit(table.source), source_sheet=pl.lit(table.sheet),
        source_row=rows.gather(frame["i"]), field=pl.col("field"), value=pl.col("value"),
        reason=pl.col("reason"), order=pl.col("order").cast(pl.Int64))


def _combine(kind: str, columns: list[pl.Series]) -> pl.Series:
    """One value from a field's several columns (e.g. two phone columns)."""
    frame = pl.DataFrame({f"v{i}": c for i, c in enumerate(columns)})
    names = [pl.col(f"v{i}") for i in range(len(columns))]
    if kind in ("email", "phone"):
        result = pl.concat_list(names).list.unique(maintain_order=True)
    elif kind == "person":
        firsts = [pl.when(n.struct.field("name") != "").then(n) for n in names]
        result = pl.coalesce(*firsts, pl.struct(name=pl.lit(""), role=pl.lit("")))
    elif kind in ("text", "role"):
        result = pl.concat_list(names).list.eval(pl.element().filter(pl.element() != "")) \
            .list.join(" ")
    else:
        result = pl.coalesce(*[pl.when(n != "").then(n) for n in names], pl.lit(""))
    return frame.select(result.alias("value"))["value"]


def _merged_contacts(by_kind: dict[str, list[pl.Series]], height: int) -> list[pl.Series]:
    """Contacts of a profile with several fields of one kind, merged in field order."""
    names: list[str] = []
    roles: list[str] = []
    emails: list[list[str]] = []
    phones: list[list[str]] = []
    lists = {kind: [c.to_list() for c in columns] for kind, columns in by_kind.items()}
    for i in range(height):
        name, role = "", ""
        mails: list[str] = []
        numbers: list[str] = []
        for kind, columns in lists.items():
            for column in columns:
                value = column[i]
                if kind == "email":
                    mails.extend(e for e in value if e not in mails)
                elif kind == "phone":
                    numbers.extend(p for p in value if p not in numbers)
                elif kind == "person":
                    name, role = value["name"], role or value["role"]
                elif value:
                    role = value
        names.append(name)
        roles.append(role)
        emails.append(mails)
        phones.append(numbers)
    return [pl.Series("contact_name", names, dtype=pl.String),
            pl.Series("contact_role", roles, dtype=pl.String),
            pl.Series("emails", emails, dtype=pl.List(pl.String)),
            pl.Series("phones", phones, dtype=pl.List(pl.String))]


def _extras(cells: pl.DataFrame, columns: ColumnMap, height: int) -> pl.Series:
    """Each row's `extra` text ("Heading: value; ...") from the columns kept as extras."""
    if not columns.extras:
        return pl.Series("extra", [""] * height, dtype=pl.String)
    parts = []
    for c, heading in columns.extras:
        raw = cells[f"c{c}"]
        parts.append(pl.select(pl.when(raw.is_not_null() & (raw != "")).then(
            pl.lit(f"{heading}: ") + shown_texts(raw))).to_series())
    if len(parts) == 1:
        return parts[0].fill_null("").alias("extra")
    joined = pl.select(pl.concat_list(parts).list.drop_nulls().list.join("; ")).to_series()
    return joined.alias("extra")


def _row_text(columns: ColumnMap, row: tuple[Any, ...]) -> str:
    cells = [(name, row[c]) for c, name in columns.fields if c < len(row)]
    cells += [(heading, row[c]) for c, heading in columns.extras if c < len(row)]
    return "; ".join(f"{name}={cell_text(v)}" for name, v in cells if v not in (None, ""))
