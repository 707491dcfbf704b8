"""Contact columns of the refined rows. An organisation seen once keeps its record's contact;
the contacts of several records are merged by email (or name) in rank order, and become
primary / secondary / additional."""

from __future__ import annotations

from typing import Any

import polars as pl

from hotpass.refine.columns import per_distinct
from hotpass.refine.model import Contact

CONTACT_SCHEMA: dict[str, Any] = {
    "key": pl.String, "primary_contact_name": pl.String, "primary_contact_role": pl.String,
    "primary_contact_email": pl.String, "primary_contact_phone": pl.String,
    "secondary_contact_name": pl.String, "secondary_contact_role": pl.String,
    "secondary_contact_email": pl.String, "secondary_contact_phone": pl.String,
    "additional_contacts": pl.String, "additional_emails": pl.String,
    "additional_phones": pl.String}
_NO_CONTACT = Contact()


def single_contact_columns() -> list[pl.Expr]:
    """Contact columns of an organisation seen once: its record's contact."""
    return [pl.col("contact_name").alias("primary_contact_name"),
            pl.col("contact_role").alias("primary_contact_role"),
            pl.col("emails").list.first().fill_null("").alias("primary_contact_email"),
            pl.col("phones").list.first().fill_null("").alias("primary_contact_phone"),
            *[pl.lit("").alias(f"secondary_contact_{part}")
              for part in ("name", "role", "email", "phone")],
            pl.lit("").alias("additional_contacts"),
            pl.col("emails").list.slice(1).list.join("; ").alias("additional_emails"),
            pl.col("phones").list.slice(1).list.join("; ").alias("additional_phones")]


def merged_contact_columns(ranked: pl.DataFrame) -> pl.DataFrame:
    """One row of contact columns per key of `ranked` (records in rank order per key)."""
    several = ranked.select("key", "contact_name", "contact_role", "emails", "phones")
    chained = pl.col("key").is_in(_chained_keys(several).implode())
    return pl.concat([_merged_by_identity(several.filter(~chained)),
                      _merged(several.filter(chained))])


def _chained_keys(records: pl.DataFrame) -> pl.Series:
    """Organisations where a record with several emails shares one with another record. In
    every other organisation a contact's identity is its first email (or its name, or phone):
    no record can join a person through a second address."""
    emails = records.with_row_index("record").select(
        "key", "record", "emails", several=pl.col("emails").list.len() > 1).explode("emails")
    shared = emails.group_by("key", "emails").agg(
        pl.col("record").n_unique().alias("records"), pl.col("several").any())
    return shared.filter((pl.col("records") > 1) & pl.col("several"))["key"].unique()


def _merged_by_identity(records: pl.DataFrame) -> pl.DataFrame:
    """merge_contacts and _contact_row by expression, where no chain of shared addresses
    links records (see _chained_keys)."""
    keys = records.select("key").unique(maintain_order=True)
    present = records.filter((pl.col("contact_name") != "") | (pl.col("contact_role") != "")
                             | (pl.col("emails").list.len() > 0)
                             | (pl.col("phones").list.len() > 0))
    people = present.with_columns(email=pl.col("emails").list.first(),
                                  folded=_casefolded(present["contact_name"]))
    identity = pl.when(pl.col("email").is_not_null()).then(pl.lit("e:") + pl.col("email")) \
        .when(pl.col("contact_name") != "").then(pl.lit("n:") + pl.col("folded")) \
        .otherwise(pl.lit("p:") + pl.col("phones").list.first().fill_null(""))
    first_filled = [pl.col(c).filter(pl.col(c) != "").first().fill_null("").alias(c)
                    for c in ("contact_name", "contact_role")]
    contacts = people.with_columns(identity=identity).group_by(
        "key", "identity", maintain_order=True).agg(
        *first_filled, *[pl.col(c).list.explode(keep_nulls=False, empty_as_null=False)
                         .unique(maintain_order=True).alias(c) for c in ("emails", "phones")])
    rows = contacts.group_by("key", maintain_order=True).agg(*_ranked_contact_columns())
    return keys.join(rows, on="key", how="left", maintain_order="left").select(
        pl.col("key"), *[pl.col(c).fill_null("") for c in list(CONTACT_SCHEMA)[1:]])


def _ranked_contact_columns() -> list[pl.Expr]:
    name, role, emails, phones = (pl.col(c) for c in ("contact_name", "contact_role", "emails",
                                                      "phones"))
    shown_emails, shown_phones = _firsts(emails), _firsts(phones)
    later = pl.int_range(pl.len()) >= 2
    labels = pl.when(role != "").then(pl.format("{} ({})", name, role)).otherwise(name)
    other_emails, other_phones = _others(emails, shown_emails), _others(phones, shown_phones)
    return [name.first().alias("primary_contact_name"), role.first().alias("primary_contact_role"),
            shown_emails[0].alias("primary_contact_email"),
            shown_phones[0].alias("primary_contact_phone"),
            name.get(1, null_on_oob=True).alias("secondary_contact_name"),
            role.get(1, null_on_oob=True).alias("secondary_contact_role"),
            shown_emails[1].alias("secondary_contact_email"),
            shown_phones[1].alias("secondary_contact_phone"),
            labels.filter(later & (name != "")).str.join("; ").alias("additional_contacts"),
            other_emails.unique(maintain_order=True).str.join("; ").alias("additional_emails"),
            other_phones.unique(maintain_order=True).str.join("; ").alias("additional_phones")]


def _firsts(values: pl.Expr) -> list[pl.Expr]:
    """The first value of the primary and of the secondary contact ("" when none)."""
    return [values.first().list.first().fill_null(""),
            values.get(1, null_on_oob=True).list.first().fill_null("")]


def _others(values: pl.Expr, shown: list[pl.Expr]) -> pl.Expr:
    every = values.list.explode(keep_nulls=False, empty_as_null=False)
    return every.filter((every != shown[0]) & (every != shown[1]))


def _casefolded(names: pl.Series) -> pl.Series:
    """str.casefold of each name (ASCII names by expression: there it is lower())."""
    if names.str.contains(r"^[ -~]*$").all():
        return names.str.to_lowercase()
    return per_distinct(names, str.casefold, pl.String)


def _merged(records: pl.DataFrame) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    current: str | None = None
    group: list[Contact] = []
    for key, name, role, emails, phones in records.select(
            "key", "contact_name", "contact_role", "emails", "phones").iter_rows():
        if key != current:
            if current is not None:
                rows.append({"key": current, **_contact_row(merge_contacts(group))})
            current, group = key, []
        group.append(Contact(name, role, emails, phones))
    if current is not None:
        rows.append({"key": current, **_contact_row(merge_contacts(group))})
    return pl.DataFrame(rows, schema=CONTACT_SCHEMA)


def merge_contacts(ranked: list[Contact]) -> list[Contact]:
    """The distinct people among the contacts of one organisation's records, best first."""
    merged: dict[str, Contact] = {}
    by_email: dict[str, str] = {}
    for contact in ranked:
        emails = contact.emails
        if not (contact.name or contact.role or emails or contact.phones):
            continue
        identity = next((by_email[e] for e in emails if e in by_email), None)
        if identity is None:
            identity = "e:" + emails[0] if emails else contact.identity()
        target = merged.get(identity)
        if target is None:
            target = merged[identity] = Contact(contact.name, contact.role,
                                                list(dict.fromkeys(emails)),
                                                list(dict.fromkeys(contact.phones)))
        else:
            target.name = target.name or contact.name
            target.role = target.role or contact.role
            target.emails.extend([e for e in dict.fromkeys(emails) if e not in target.emails])
            target.phones.extend([p for p in dict.fromkeys(contact.phones)
                                  if p not in target.phones])
        for email in target.emails:
            by_email.setdefault(email, identity)
    return list(merged.values())


def _contact_row(contacts: list[Contact]) -> dict[str, Any]:
    """Primary and secondary contact columns, then everyone and everything else."""
    primary = contacts[0] if contacts else _NO_CONTACT
    secondary = contacts[1] if len(contacts) > 1 else _NO_CONTACT
    emails = (primary.emails[0] if primary.emails else "",
              secondary.emails[0] if secondary.emails else "")
    phones = (primary.phones[0] if primary.phones else "",
              secondary.phones[0] if secondary.phones else "")
    return {
        "primary_contact_name": primary.name, "primary_contact_role": primary.role,
        "primary_contact_email": emails[0], "primary_contact_phone": phones[0],
        "secondary_contact_name": secondary.name, "secondary_contact_role": secondary.role,
        "secondary_contact_email": emails[1], "secondary_contact_phone": phones[1],
        "additional_contacts": "; ".join([f"{c.name} ({c.role})" if c.role else c.name
                                          for c in contacts[2:] if c.name]),
        "additional_emails": _joined_except([c.emails for c in contacts], set(emails)),
        "additional_phones": _joined_except([c.phones for c in contacts], set(phones))}


def _joined_except(lists: list[list[str]], shown: set[str]) -> str:
    """Every value of `lists` not in `shown`, first occurrences in order, joined by '; '."""
    rest = [v for values in lists for v in values if v not in shown]
    return "; ".join(dict.fromkeys(rest)) if rest else ""
