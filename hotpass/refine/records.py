"""Sheet rows -> normalised records, column by column. Each field's normaliser is memoised by
cell value (real sheets repeat provinces, categories, placeholders and names a lot), and its
problems are re-attached to every row they occur in. Rows missing a required field are rejected
with their values in the issues sheet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fnmatch import fnmatch
from itertools import compress
from operator import itemgetter
from typing import Any

from hotpass.refine.layout import ColumnMap
from hotpass.refine.model import REJECTED_ROW, Contact, Issue, Record
from hotpass.refine.normalise import Normaliser, Problem, cell_text, organisation_key
from hotpass.refine.profile import Profile
from hotpass.refine.read import SheetTable

CONTACT_TYPES = ("person", "role", "email", "phone")
LIST_TYPES = ("email", "phone")
MEMO_LIMIT = 200_000
CHUNK_ROWS = 50_000
_EMPTY: dict[str, Any] = {"email": (), "phone": (), "person": ("", "")}
_VALUE = itemgetter(0)
_PROBLEMS = itemgetter(1)


class FieldNormaliser:
    """One field's normaliser with a memo of results by raw cell value."""

    def __init__(self, kind: str, function: Callable[[Any], tuple[Any, tuple[Problem, ...]]]):
        self.kind = kind
        self.function = function
        self.empty: tuple[Any, tuple[Problem, ...]] = (_EMPTY.get(kind, ""), ())
        self.memo: dict[Any, tuple[Any, tuple[Problem, ...]]] = {}

    def column(self, values: Sequence[Any]) -> list[tuple[Any, tuple[Problem, ...]]]:
        # Memo hits are the common case, so the loop is one dict lookup per cell. (A bool cell
        # may share a memo entry with the equal number 0/1; such columns are not contact data.)
        memo = self.memo
        if len(memo) > MEMO_LIMIT:  # mostly-unique columns: bound memory, keep the speed-up
            memo.clear()
        if not memo:
            memo[None] = memo[""] = self.empty
        get, miss = memo.get, self._miss
        return [get(value) or miss(value) for value in values]

    def _miss(self, value: Any) -> tuple[Any, tuple[Problem, ...]]:
        result = self.memo[value] = self.function(value)
        return result


class RecordBuilder:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.normaliser = Normaliser(profile)
        self.types = {name: spec.type for name, spec in profile.fields.items()}
        self.date_fields = profile.fields_of_type("date")
        self.fields = {name: self._field_normaliser(name, kind)
                       for name, kind in self.types.items()}
        self.only_name_required = profile.required == ("organization_name",)
        self._keys: dict[str, str] = {}
        self._texts: dict[Any, str] = {}
        self._priorities: dict[tuple[str, str], int] = {}
        self._recency: dict[str, int] = {"": 0}

    def _field_normaliser(self, name: str, kind: str) -> FieldNormaliser:
        norm = self.normaliser
        functions: dict[str, Callable[[Any], tuple[Any, tuple[Problem, ...]]]] = {
            "text": norm.text, "role": norm.text, "person": norm.person, "email": norm.emails,
            "phone": norm.phones, "url": norm.website, "province": norm.province,
            "date": norm.date, "category": lambda v: norm.category(v, name)}
        return FieldNormaliser(kind, functions[kind])

    def priority(self, source: str, sheet: str) -> int:
        cached = self._priorities.get((source, sheet))
        if cached is None:
            names = [source.casefold(), f"{source}/{sheet}".casefold()]
            cached = next((prio for pattern, prio in self.profile.source_priorities
                           if any(fnmatch(n, pattern.casefold()) for n in names)), 0)
            self._priorities[(source, sheet)] = cached
        return cached

    def build_sheet(self, table: SheetTable, columns: ColumnMap, indexes: list[int],
                    issues: list[Issue]) -> tuple[list[Record], int]:
        """Records of the rows at `indexes`, and how many rows were rejected. Works in chunks
        and drops each chunk's cells once its records exist, so a large sheet never holds
        all its cells and all its records at once."""
        records: list[Record] = []
        rejected = 0
        for start in range(0, len(indexes), CHUNK_ROWS):
            chunk = indexes[start:start + CHUNK_ROWS]
            rejected += self._build_chunk(table, columns, chunk, issues, records)
            for r in chunk:
                table.rows[r] = []
        return records, rejected

    def _build_chunk(self, table: SheetTable, columns: ColumnMap, indexes: list[int],
                     issues: list[Issue], records: list[Record]) -> int:
        rows = [table.rows[r] for r in indexes]
        width = 1 + max([c for c, _ in columns.fields] + [c for c, _ in columns.extras],
                        default=-1)
        cells = _transpose(rows, width)
        by_field: dict[str, list[int]] = {}
        for c, name in columns.fields:
            by_field.setdefault(name, []).append(c)
        results = {name: self._normalise_field(name, cols, cells, indexes, table, issues)
                   for name, cols in by_field.items()}
        org_names = [n for n in results if self.types[n] not in CONTACT_TYPES]
        count = len(indexes)
        values = ([dict(zip(org_names, row, strict=True))
                   for row in zip(*(results[n] for n in org_names), strict=True)]
                  if org_names else [{} for _ in range(count)])
        names = results.get("organization_name")
        known, key_of = self._keys.get, self._key
        keys = [(known(n) or key_of(n)) if n else "" for n in names] if names else [""] * count
        rejected = 0
        priority = self.priority(table.source, table.sheet)
        source, sheet, hidden, only_name = (table.source, table.sheet, table.hidden_rows,
                                            self.only_name_required)
        for i, r, key, fields, contact, extra, recency in zip(
                range(count), indexes, keys, values, self._contacts(results, count),
                self._extras(columns, cells, count), self._recencies(results, count),
                strict=True):
            if (not key) if only_name else self._missing(key, fields, contact):
                missing = self._missing(key, fields, contact)
                issues.append(Issue(source, sheet, r + 1, ",".join(missing),
                                    _row_text(columns, rows[i]),
                                    "missing required field: " + ", ".join(missing),
                                    REJECTED_ROW))
                rejected += 1
                continue
            records.append(Record(source, sheet, r + 1, r in hidden,
                                  key or f"~{source}|{sheet}|{r + 1}", fields, contact, extra,
                                  priority, recency))
        return rejected

    def _missing(self, key: str, fields: dict[str, str], contact: Contact) -> list[str]:
        if self.only_name_required:  # the usual profile: skip the general check
            return [] if key else ["organization_name"]
        missing = [f for f in self.profile.required if not _has(f, fields, contact)]
        if not missing and "organization_name" in self.profile.required and not key:
            missing = ["organization_name"]
        return missing

    def _extras(self, columns: ColumnMap, cells: list[Sequence[Any]], count: int) -> list[str]:
        """Each row's `extra` text ("Heading: value; ..."), built column by column."""
        if not columns.extras:
            return [""] * count
        text = self._text
        parts = [[f"{heading}: {text(v)}" if v is not None and v != "" else None
                  for v in cells[c]] for c, heading in columns.extras]
        if len(parts) == 1:
            return [p or "" for p in parts[0]]
        return ["; ".join([p for p in row if p is not None])
                for row in zip(*parts, strict=True)]

    def _recencies(self, results: dict[str, list[Any]], count: int) -> list[int]:
        """yyyymmdd of each row's latest date field, 0 when it has none."""
        dates = [results[name] for name in self.date_fields if name in results]
        if not dates:
            return [0] * count
        memo = self._recency
        per_field = [[memo[iso] if iso in memo else _recency(memo, iso) for iso in column]
                     for column in dates]
        if len(per_field) == 1:
            return per_field[0]
        return [max(row) for row in zip(*per_field, strict=True)]

    def _contacts(self, results: dict[str, list[Any]], count: int) -> list[Contact]:
        """Each row's contact, built column-wise (one person/role/email/phone field each in
        the usual profile; several fields of a kind are merged in field order)."""
        by_kind: dict[str, list[list[Any]]] = {}
        for name, column in results.items():
            kind = self.types[name]
            if kind in CONTACT_TYPES:
                by_kind.setdefault(kind, []).append(column)
        if any(len(columns) > 1 for columns in by_kind.values()):
            return [self._merged_contact(by_kind, i) for i in range(count)]
        blank: list[Any] = [None] * count
        people = by_kind.get("person", [blank])[0]
        roles = by_kind.get("role", [blank])[0]
        emails = by_kind.get("email", [blank])[0]
        phones = by_kind.get("phone", [blank])[0]
        return [Contact(p[0] if p else "", (r or (p[1] if p else "")),
                        list(e) if e else [], list(f) if f else [])
                for p, r, e, f in zip(people, roles, emails, phones, strict=True)]

    @staticmethod
    def _merged_contact(by_kind: dict[str, list[list[Any]]], i: int) -> Contact:
        contact = Contact()
        for kind, columns in by_kind.items():
            for column in columns:
                _set_contact(contact, kind, column[i])
        return contact

    def _normalise_field(self, name: str, cols: list[int], cells: list[Sequence[Any]],
                         indexes: list[int], table: SheetTable,
                         issues: list[Issue]) -> list[Any]:
        normaliser = self.fields[name]
        per_column = [normaliser.column(cells[c]) for c in cols]
        for column in per_column:
            for i in compress(range(len(column)), map(_PROBLEMS, column)):
                for value, reason, kind in column[i][1]:
                    issues.append(Issue(table.source, table.sheet, indexes[i] + 1, name, value,
                                        reason, kind))
        if len(per_column) == 1:
            return list(map(_VALUE, per_column[0]))
        return [_combine(normaliser.kind, [column[i][0] for column in per_column])
                for i in range(len(indexes))]

    def _text(self, value: Any) -> str:
        text = self._texts.get(value)
        if text is None:
            if len(self._texts) > MEMO_LIMIT:
                self._texts.clear()
            text = self._texts[value] = cell_text(value)
        return text

    def _key(self, name: str) -> str:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = organisation_key(name)
        return key


def _transpose(rows: list[list[Any]], width: int) -> list[Sequence[Any]]:
    """The cells of `rows` column by column, padded with None to `width` columns."""
    if not rows:
        return [() for _ in range(width)]
    if min(map(len, rows)) < width:
        rows = [row + [None] * (width - len(row)) if len(row) < width else row for row in rows]
    columns: list[Sequence[Any]] = list(zip(*rows, strict=False))  # rows may be wider
    return columns[:width]


def _recency(memo: dict[str, int], iso: str) -> int:
    value = memo[iso] = int(iso[:4] + iso[5:7] + iso[8:10]) if iso else 0
    return value


def _combine(kind: str, values: list[Any]) -> Any:
    if kind in LIST_TYPES:
        return tuple(dict.fromkeys(v for value in values for v in value))
    if kind == "person":
        return next((v for v in values if v[0]), ("", ""))
    if kind in ("text", "role"):
        return " ".join(v for v in values if v)
    return next((v for v in values if v), "")


def _set_contact(contact: Contact, kind: str, value: Any) -> None:
    if kind == "email":
        if value:
            contact.emails.extend(e for e in value if e not in contact.emails)
    elif kind == "phone":
        if value:
            contact.phones.extend(p for p in value if p not in contact.phones)
    elif kind == "person":
        contact.name = value[0]
        contact.role = contact.role or value[1]
    elif value:
        contact.role = value


def _has(field: str, values: dict[str, str], contact: Contact) -> bool:
    if field in values:
        return bool(values[field])
    return bool({"contact_name": contact.name, "contact_role": contact.role,
                 "contact_email": contact.emails, "contact_phone": contact.phones}.get(field))


def _row_text(columns: ColumnMap, row: list[Any]) -> str:
    cells = [(name, row[c]) for c, name in columns.fields if c < len(row)]
    cells += [(heading, row[c]) for c, heading in columns.extras if c < len(row)]
    return "; ".join(f"{name}={cell_text(v)}" for name, v in cells if v not in (None, ""))
