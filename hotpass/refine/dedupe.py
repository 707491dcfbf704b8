"""Deduplicate records on the organisation key. Each field's value comes from the best record
that has one: higher source priority, then more complete, then more recent, then source order.
Contacts are merged by email (or name) and become primary / secondary / additional."""

from __future__ import annotations

import polars as pl

from hotpass.refine.columns import per_distinct
from hotpass.refine.contacts import merged_contact_columns, single_contact_columns
from hotpass.refine.profile import Profile
from hotpass.refine.threads import workers

CONTACT_COLUMNS = ("name", "role", "email", "phone")


def output_columns(profile: Profile) -> list[str]:
    """Columns of the `refined` sheet, in order."""
    org_fields = [name for name, spec in profile.fields.items()
                  if spec.type not in ("person", "role", "email", "phone")]
    contact = [f"{rank}_contact_{part}" for rank in ("primary", "secondary")
               for part in CONTACT_COLUMNS]
    return ["organization_key", *org_fields, *contact, "additional_contacts",
            "additional_emails", "additional_phones", "hidden_in_source", "source_count",
            "source_files", "provenance", "extra"]


def canonical_spellings(records: pl.DataFrame, profile: Profile) -> pl.DataFrame:
    """Category values that differ only by case take their most frequent spelling."""
    changes = []
    for name in profile.fields_of_type("category"):
        if name not in records.columns:
            continue
        counts = records.filter(pl.col(name) != "")[name].value_counts()
        spelled: dict[str, int] = dict(counts.iter_rows())
        best: dict[str, str] = {}
        for spelling, _count in sorted(spelled.items(), key=lambda kv: (-kv[1], kv[0])):
            best.setdefault(spelling.casefold(), spelling)
        mapping = {s: best[s.casefold()] for s in spelled if best[s.casefold()] != s}
        if mapping:
            changes.append(pl.col(name).replace(mapping))
    return records.with_columns(*changes) if changes else records


def deduplicate(records: pl.DataFrame, profile: Profile) -> pl.DataFrame:
    """One output row per organisation key, ordered by key."""
    columns = output_columns(profile)
    org_fields = [c for c in columns if c in profile.fields]
    records = canonical_spellings(records, profile).with_columns(size=pl.len().over("key"))
    single = _single(records.filter(pl.col("size") == 1), org_fields)
    several = _merged(_ranked(records.filter(pl.col("size") > 1), org_fields), org_fields)
    refined = pl.concat([single.select(columns), several.select(columns)]).sort(
        "organization_key", maintain_order=True)
    return refined.with_columns(organization_key=pl.when(
        pl.col("organization_key").str.starts_with("~")).then(pl.lit(""))
        .otherwise(pl.col("organization_key")))


def _single(records: pl.DataFrame, org_fields: list[str]) -> pl.DataFrame:
    """Organisations seen once: their record's values, as _merged would give them."""
    return records.select(
        pl.col("key").alias("organization_key"), *org_fields, *single_contact_columns(),
        hidden_in_source=pl.col("hidden"), source_count=pl.lit(1, pl.Int64),
        source_files=pl.col("source"), provenance=_where(), extra=pl.col("extra"))


def _merged(ranked: pl.DataFrame, org_fields: list[str]) -> pl.DataFrame:
    """Organisations seen several times: each value from the best-ranked record with one."""
    fields = [pl.col(f).filter(pl.col(f) != "").first().fill_null("").alias(f)
              for f in org_fields if f != "organization_name"]
    with workers(1, "hotpass-contacts") as pool:
        # Contacts beside the other columns: polars works outside the GIL.
        contacts = pool.submit(merged_contact_columns, ranked)
        grouped = ranked.group_by("key", maintain_order=True).agg(
            *fields, _best_written_name(), *_provenance())
    return grouped.join(contacts.result(), on="key", how="left", maintain_order="left") \
        .rename({"key": "organization_key"})


def _ranked(records: pl.DataFrame, org_fields: list[str]) -> pl.DataFrame:
    """Records in key order, each key's best record first."""
    completeness = pl.sum_horizontal(
        *[(pl.col(f) != "").cast(pl.Int64) for f in org_fields],
        pl.col("emails").list.len(), pl.col("phones").list.len(),
        (pl.col("contact_name") != "").cast(pl.Int64))
    named = records.with_columns(completeness=completeness,
                                 mixed=_mixed_case(records["organization_name"]))
    named = named.with_columns(
        candidate=(pl.col("priority") == pl.col("priority").max().over("key"))
        & (pl.col("organization_name") != ""),
        name_length=pl.col("organization_name").str.len_chars())
    return named.sort(
        ["key", "priority", "completeness", "recency", "source", "sheet", "row"],
        descending=[False, True, True, True, False, False, False], maintain_order=True)


def _mixed_case(names: pl.Series) -> pl.Series:
    """True for a name in mixed case ('Acme Aviation', not 'ACME AVIATION' or 'acme')."""
    return per_distinct(names, lambda n: not (n.isupper() or n.islower()), pl.Boolean)


def _best_written_name() -> pl.Expr:
    """Among the highest-priority sources, the name in mixed case with the most detail
    ('Acme Aviation (Pty) Ltd' over 'ACME AVIATION'); the first such in rank order."""
    best = pl.col("organization_name").sort_by(
        ["candidate", "mixed", "name_length"], descending=[True, True, True],
        maintain_order=True).first()
    return pl.when(pl.col("candidate").any()).then(best).otherwise(pl.lit("")) \
        .alias("organization_name")


def _where() -> pl.Expr:
    """Where a record was read: file|sheet|row, or file|row for a CSV."""
    return pl.when(pl.col("sheet") != "").then(
        pl.format("{}|{}|{}", "source", "sheet", "row")).otherwise(
        pl.format("{}|{}", "source", "row"))


def _provenance() -> list[pl.Expr]:
    where = _where()
    extras = pl.col("extra").filter(pl.col("extra") != "").unique(maintain_order=True)
    return [pl.col("hidden").any().alias("hidden_in_source"),
            pl.len().cast(pl.Int64).alias("source_count"),
            pl.col("source").unique().sort().str.join("; ").alias("source_files"),
            where.sort_by(["source", "sheet", "row"]).str.join("; ").alias("provenance"),
            extras.str.join(" | ").alias("extra")]
