"""Deduplicate records on the organisation key. Each field's value comes from the best record
that has one: higher source priority, then more complete, then more recent, then source order.
Contacts are merged by email (or name) and become primary / secondary / additional."""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import Any

from hotpass.refine.model import Contact, Record
from hotpass.refine.profile import Profile

CONTACT_COLUMNS = ("name", "role", "email", "phone")
_NO_CONTACT = Contact()
_POSITION = attrgetter("source", "sheet", "row")  # where a record was read, in reading order


def output_columns(profile: Profile) -> list[str]:
    """Columns of the `refined` sheet, in order."""
    org_fields = [name for name, spec in profile.fields.items()
                  if spec.type not in ("person", "role", "email", "phone")]
    contact = [f"{rank}_contact_{part}" for rank in ("primary", "secondary")
               for part in CONTACT_COLUMNS]
    return ["organization_key", *org_fields, *contact, "additional_contacts",
            "additional_emails", "additional_phones", "hidden_in_source", "source_count",
            "source_files", "provenance", "extra"]


def canonical_spellings(records: list[Record], profile: Profile) -> None:
    """Category values that differ only by case take their most frequent spelling."""
    for name in profile.fields_of_type("category"):
        counts: Counter[str] = Counter([v for r in records if (v := r.values.get(name))])
        best: dict[str, str] = {}
        for spelling, _count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            best.setdefault(spelling.casefold(), spelling)
        changes = {s: best[s.casefold()] for s in counts if best[s.casefold()] != s}
        if not changes:
            continue
        for record in records:
            value = record.values.get(name)
            if value in changes:
                record.values[name] = changes[value]


def _rank(record: Record) -> tuple[Any, ...]:
    values = list(record.values.values())
    contact = record.contact
    completeness = (len(values) - values.count("") + len(contact.emails) + len(contact.phones)
                    + bool(contact.name))  # Record.completeness, inlined: one call per record
    return (-record.priority, -completeness, -record.recency, record.source, record.sheet,
            record.row)


def deduplicate(records: list[Record], profile: Profile) -> list[dict[str, Any]]:
    """One output row per organisation key, ordered by key."""
    canonical_spellings(records, profile)
    groups: dict[str, list[Record]] = {}
    for record in records:
        group = groups.get(record.key)
        if group is None:
            groups[record.key] = [record]
        else:
            group.append(record)
    columns = output_columns(profile)
    org_fields = [c for c in columns if c in profile.fields]
    return [_merge(key, sorted(group, key=_rank), org_fields) if len(group) > 1
            else _single(key, group[0], org_fields)
            for key, group in sorted(groups.items())]


def _single(key: str, record: Record, org_fields: list[str]) -> dict[str, Any]:
    """The common case of an organisation seen once: the same row `_merge` gives, faster."""
    values, contact = record.values, record.contact
    row: dict[str, Any] = {"organization_key": "" if key.startswith("~") else key}
    for name in org_fields:
        row[name] = values.get(name, "")
    emails, phones = contact.emails, contact.phones
    row.update({
        "primary_contact_name": contact.name, "primary_contact_role": contact.role,
        "primary_contact_email": emails[0] if emails else "",
        "primary_contact_phone": phones[0] if phones else "",
        "secondary_contact_name": "", "secondary_contact_role": "",
        "secondary_contact_email": "", "secondary_contact_phone": "",
        "additional_contacts": "", "additional_emails": "; ".join(emails[1:]),
        "additional_phones": "; ".join(phones[1:]),
        "hidden_in_source": record.hidden, "source_count": 1, "source_files": record.source,
        "provenance": _where(record), "extra": record.extra})
    return row


def _merge(key: str, ranked: list[Record], org_fields: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"organization_key": "" if key.startswith("~") else key}
    first, others = ranked[0].values, ranked[1:]
    for name in org_fields:  # each value from the best-ranked record that has one
        value = first.get(name)
        if not value:
            value = next((v for r in others if (v := r.values.get(name))), "")
        row[name] = value
    row["organization_name"] = _best_written_name(ranked)
    row.update(_contact_columns(_merge_contacts(ranked)))
    row.update({
        "hidden_in_source": any([r.hidden for r in ranked]), "source_count": len(ranked),
        "source_files": "; ".join(sorted({r.source for r in ranked})),
        "provenance": "; ".join([_where(r) for r in sorted(ranked, key=_POSITION)]),
        "extra": " | ".join(dict.fromkeys([r.extra for r in ranked if r.extra]))})
    return row


def _contact_columns(contacts: list[Contact]) -> dict[str, Any]:
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


def _best_written_name(ranked: list[Record]) -> str:
    """Among the highest-priority sources, the name in mixed case with the most detail
    ('Acme Aviation (Pty) Ltd' over 'ACME AVIATION')."""
    top = ranked[0].priority
    names = [r.values.get("organization_name", "") for r in ranked if r.priority == top]
    names = [n for n in names if n]
    if len(names) < 2:
        return names[0] if names else ""
    return max(names, key=lambda n: (not n.isupper() and not n.islower(), len(n)))


def _merge_contacts(ranked: list[Record]) -> list[Contact]:
    merged: dict[str, Contact] = {}
    by_email: dict[str, str] = {}
    for record in ranked:
        contact = record.contact
        emails = contact.emails
        if not (contact.name or contact.role or emails or contact.phones):
            continue
        identity = None
        for email in emails:
            identity = by_email.get(email)
            if identity is not None:
                break
        if identity is None:
            identity = "e:" + emails[0] if emails else contact.identity()
        target = merged.get(identity)
        if target is None:
            phones = contact.phones
            target = merged[identity] = Contact(
                contact.name, contact.role,
                list(dict.fromkeys(emails)) if len(emails) > 1 else emails[:],
                list(dict.fromkeys(phones)) if len(phones) > 1 else phones[:])
        else:
            target.name = target.name or contact.name
            target.role = target.role or contact.role
            target.emails.extend([e for e in dict.fromkeys(emails) if e not in target.emails])
            target.phones.extend([p for p in dict.fromkeys(contact.phones)
                                  if p not in target.phones])
        for email in target.emails:
            by_email.setdefault(email, identity)
    return list(merged.values())


def _where(record: Record) -> str:
    return f"{record.source}|{record.sheet}|{record.row}" if record.sheet else \
        f"{record.source}|{record.row}"
