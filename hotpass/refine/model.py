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

# The issues sheet's columns. Issue frames (ISSUE_FRAME_SCHEMA) also carry `order` (the field's
# position, so a row's issues keep the order its fields were read in) until they are written.
ISSUE_SCHEMA: dict[str, Any] = {
    "kind": pl.String, "source_file": pl.String, "source_sheet": pl.String,
    "source_row": pl.Int64, "field": pl.String, "value": pl.String, "reason": pl.String}
ISSUE_COLUMNS = list(ISSUE_SCHEMA)
ISSUE_FRAME_SCHEMA: dict[str, Any] = {**ISSUE_SCHEMA, "order": pl.Int64}


def record_schema(org_fields: list[str]) -> dict[str, Any]:
    """Columns of a records frame: one row per input row that became a record."""
    return {"source": pl.String, "sheet": pl.String, "row": pl.Int64, "hidden": pl.Boolean,
            "key": pl.String, "priority": pl.Int64, "recency": pl.Int64, "extra": pl.String,
            **dict.fromkeys(org_fields, pl.String), "contact_name": pl.String,
            "contact_role": pl.String, "emails": pl.List(pl.String),
            "phones": pl.List(pl.String)}


class Contact:
    """One person at an organisation, while the contacts of records that share an address are
    merged (hotpass.refine.contacts.merge_contacts)."""

    __slots__ = ("name", "role", "emails", "phones")

    def __init__(self, name: str = "", role: str = "", emails: list[str] | None = None,
                 phones: list[str] | None = None) -> None:
        self.name = name
        self.role = role
        self.emails: list[str] = emails if emails is not None else []
        self.phones: list[str] = phones if phones is not None else []

    def identity(self) -> str:
        if self.emails:
            return "e:" + self.emails[0]
        if self.name:
            return "n:" + self.name.casefold()
        return "p:" + (self.phones[0] if self.phones else "")


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
