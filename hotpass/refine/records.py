"""Raw rows -> normalised records. Rows missing a required field are rejected with their values
in the issues sheet; every dropped value is reported by the normaliser."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

from hotpass.refine.model import REJECTED_ROW, Contact, Issue, RawRow, Record
from hotpass.refine.normalise import Normaliser, cell_text, organisation_key, split_person
from hotpass.refine.profile import Profile

CONTACT_TYPES = ("person", "role", "email", "phone")


class RecordBuilder:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.normaliser = Normaliser(profile)
        self.types = {name: spec.type for name, spec in profile.fields.items()}
        self.date_fields = profile.fields_of_type("date")
        self._priorities: dict[tuple[str, str], int] = {}

    def priority(self, source: str, sheet: str) -> int:
        cached = self._priorities.get((source, sheet))
        if cached is None:
            names = [source.casefold(), f"{source}/{sheet}".casefold()]
            cached = next((prio for pattern, prio in self.profile.source_priorities
                           if any(fnmatch(n, pattern.casefold()) for n in names)), 0)
            self._priorities[(source, sheet)] = cached
        return cached

    def build(self, raw: RawRow, issues: list[Issue]) -> Record | None:
        values: dict[str, str] = {}
        contact = Contact()
        for name, cells in raw.cells.items():
            kind = self.types[name]
            if kind in CONTACT_TYPES:
                self._contact_field(raw, name, kind, cells, contact, issues)
            else:
                values[name] = self._value(raw, name, kind, cells, issues)
        missing = [f for f in self.profile.required if not self._has(f, values, contact)]
        if missing:
            issues.append(Issue(raw.source, raw.sheet, raw.row, ",".join(missing),
                                _row_text(raw), "missing required field: " + ", ".join(missing),
                                REJECTED_ROW))
            return None
        org = values.get("organization_name", "")
        key = organisation_key(org) if org else ""
        if "organization_name" in self.profile.required and not key:
            issues.append(Issue(raw.source, raw.sheet, raw.row, "organization_name",
                                _row_text(raw), "organisation name has no letters or digits",
                                REJECTED_ROW))
            return None
        recency = max((int(values[f].replace("-", "")) for f in self.date_fields
                       if values.get(f)), default=0)
        return Record(raw.source, raw.sheet, raw.row, raw.hidden, key or _row_key(raw),
                      values, contact, "; ".join(f"{h}: {cell_text(v)}" for h, v in raw.extra),
                      self.priority(raw.source, raw.sheet), recency)

    def _value(self, raw: RawRow, name: str, kind: str, cells: list[Any],
               issues: list[Issue]) -> str:
        norm = self.normaliser
        if kind == "url":
            return norm.website(raw, name, cells[0], issues)
        if kind == "province":
            return norm.province(raw, name, cells[0], issues)
        if kind == "category":
            return norm.category(raw, name, cells[0], issues)
        if kind == "date":
            return norm.date(raw, name, cells[0], issues)
        text = " ".join(cell_text(c) for c in cells)
        return "" if norm.is_placeholder(text) else text

    def _contact_field(self, raw: RawRow, name: str, kind: str, cells: list[Any],
                       contact: Contact, issues: list[Issue]) -> None:
        norm = self.normaliser
        if kind == "email":
            contact.emails.extend(e for e in norm.emails(raw, name, cells, issues)
                                  if e not in contact.emails)
        elif kind == "phone":
            contact.phones.extend(p for p in norm.phones(raw, name, cells, issues)
                                  if p not in contact.phones)
        else:
            text = " ".join(cell_text(c) for c in cells)
            if norm.is_placeholder(text):
                return
            if kind == "person":
                person, role = split_person(text)
                contact.name = person
                contact.role = contact.role or role
            else:
                contact.role = text

    @staticmethod
    def _has(field: str, values: dict[str, str], contact: Contact) -> bool:
        if field in values:
            return bool(values[field])
        return bool({"contact_name": contact.name, "contact_role": contact.role,
                     "contact_email": contact.emails, "contact_phone": contact.phones}.get(field))


def _row_text(raw: RawRow) -> str:
    parts = [f"{name}={' '.join(cell_text(c) for c in cells)}" for name, cells in raw.cells.items()]
    parts += [f"{h}={cell_text(v)}" for h, v in raw.extra]
    return "; ".join(parts)


def _row_key(raw: RawRow) -> str:
    """Records without an organisation name are never merged with each other."""
    return f"~{raw.source}|{raw.sheet}|{raw.row}"
