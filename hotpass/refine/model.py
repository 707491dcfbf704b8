"""Plain data passed between the refinement stages (read → layout → normalise → dedupe → write)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

# Issue kinds, as shown in the `kind` column of the issues sheet.
REJECTED_ROW = "rejected_row"
REJECTED_VALUE = "rejected_value"
WARNING = "warning"
FILE_PROBLEM = "file_problem"

# The issues sheet's columns. Issue frames also carry `order` (the field's position, so a row's
# issues keep the order its fields were read in) until they are written.
ISSUE_SCHEMA: dict[str, Any] = {
    "kind": pl.String, "source_file": pl.String, "source_sheet": pl.String,
    "source_row": pl.Int64, "field": pl.String, "value": pl.String, "reason": pl.String}
ISSUE_COLUMNS = list(ISSUE_SCHEMA)


def record_schema(org_fields: list[str]) -> dict[str, Any]:
    """Columns of a records frame: one row per input row that became a record."""
    return {"source": pl.String, "sheet": pl.String, "row": pl.Int64, "hidden": pl.Boolean,
            "key": pl.String, "priority": pl.Int64, "recency": pl.Int64, "extra": pl.String,
            **dict.fromkeys(org_fields, pl.String), "contact_name": pl.String,
            "contact_role": pl.String, "emails": pl.List(pl.String),
            "phones": pl.List(pl.String)}


@dataclass(frozen=True, slots=True)
class Issue:
    source: str
    sheet: str
    row: int | None
    field: str
    value: str
    reason: str
    kind: str = REJECTED_VALUE

    def to_row(self) -> dict[str, Any]:
        return {"kind": self.kind, "source_file": self.source, "source_sheet": self.sheet,
                "source_row": "" if self.row is None else self.row, "field": self.field,
                "value": self.value, "reason": self.reason}


class Contact:
    """One person at an organisation (a plain slotted class: one is made per input row)."""

    __slots__ = ("name", "role", "emails", "phones")

    def __init__(self, name: str = "", role: str = "", emails: list[str] | None = None,
                 phones: list[str] | None = None) -> None:
        self.name = name
        self.role = role
        self.emails: list[str] = emails if emails is not None else []
        self.phones: list[str] = phones if phones is not None else []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Contact) and self.to_json() == other.to_json()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "emails": list(self.emails),
                "phones": list(self.phones)}

    def identity(self) -> str:
        if self.emails:
            return "e:" + self.emails[0]
        if self.name:
            return "n:" + self.name.casefold()
        return "p:" + (self.phones[0] if self.phones else "")


@dataclass(slots=True)
class Record:
    source: str
    sheet: str
    row: int
    hidden: bool
    key: str
    values: dict[str, str]
    contact: Contact
    extra: str = ""
    priority: int = 0
    recency: int = 0  # yyyymmdd of the record's date field, 0 when unknown

    def completeness(self) -> int:
        values = list(self.values.values())
        filled = len(values) - values.count("")
        contact = self.contact
        return filled + len(contact.emails) + len(contact.phones) + bool(contact.name)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "sheet": self.sheet, "row": self.row,
                "hidden": self.hidden, "key": self.key, "values": self.values,
                "contact": self.contact.to_json(), "extra": self.extra,
                "priority": self.priority, "recency": self.recency}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(**{**data, "contact": Contact(**data["contact"])})


@dataclass
class SheetStats:
    source: str
    sheet: str
    rows_read: int = 0
    records: int = 0
    rejected: int = 0
    ghost_rows: int = 0
    blank_rows: int = 0
    hidden_rows: int = 0
    header_row: int | None = None
    mapped: dict[str, str] = field(default_factory=dict)  # heading -> field
