"""Contact columns of the refined rows. An organisation seen once keeps its record's contact;
the contacts of several records are merged by email (or name) in rank order, and become
primary / secondary / additional."""

from __future__ import annotations

from typing import Any

import polars as pl

from hotpass.refine.model import Contact

CONTACT_SCHEMA: dict[str, Any] = {
    "key": pl.String, "primary_contact_name": pl.String, "primary_contact_role": pl.String,
    "primary_contact_email": pl.String, "primary_contact_phone": pl.String,
    "secondary_contact_name": pl.String, "secondary_contact_role": pl.String,
    "secondary_contact_email": pl.String, "secondary_contact_phone": pl.String,
    "additional_contacts": pl.String, "additional_emails": pl.String,
    "additional_phones": pl.String}
_NO_CONTACT = Contact()


def contact_columns(ranked: pl.DataFrame) -> pl.DataFrame:
    """One row of contact columns per key of `ranked` (records in rank order per key)."""
    sized = ranked.select("key", "contact_name", "contact_role", "emails", "phones").with_columns(
        size=pl.len().over("key"))
    single = sized.filter(pl.col("size") == 1).select(
        "key", primary_contact_name=pl.col("contact_name"),
        primary_contact_role=pl.col("contact_role"),
        primary_contact_email=pl.col("emails").list.first().fill_null(""),
        primary_contact_phone=pl.col("phones").list.first().fill_null(""),
        secondary_contact_name=pl.lit(""), secondary_contact_role=pl.lit(""),
        secondary_contact_email=pl.lit(""), secondary_contact_phone=pl.lit(""),
        additional_contacts=pl.lit(""),
        additional_emails=pl.col("emails").list.slice(1).list.join("; "),
        additional_phones=pl.col("phones").list.slice(1).list.join("; "))
    merged = _merged(sized.filter(pl.col("size") > 1))
    return pl.concat([single, merged])


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
