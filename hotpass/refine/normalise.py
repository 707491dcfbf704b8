"""Value normalisation: exact cell text, emails, phones (E.164), websites, provinces, dates,
person names with a role in brackets, and the organisation key used for deduplication.

Each normaliser returns the clean value(s) and a problem for every value it drops, so
nothing disappears silently.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

from hotpass.refine.model import REJECTED_VALUE, WARNING
from hotpass.refine.profile import Profile, heading_key

# ISO country -> (calling code, digits in the national significant number or None if it varies)
COUNTRY_CODES: dict[str, tuple[str, int | None]] = {
    "ZA": ("27", 9), "NA": ("264", None), "BW": ("267", 8), "ZW": ("263", 9), "KE": ("254", 9),
    "NG": ("234", 10), "GB": ("44", 10), "IE": ("353", None), "US": ("1", 10), "CA": ("1", 10),
    "AU": ("61", 9), "NZ": ("64", None), "DE": ("49", None), "FR": ("33", 9), "NL": ("31", 9),
}
_EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
                    r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_EMAIL_SPLIT = re.compile(r"[;,\s/|]+")
_PHONE_SPLIT = re.compile(r"\s*(?:;|/|,|\||\n|\bor\b|&)\s*")
_NON_DIGIT = re.compile(r"\D")
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_SERIAL = re.compile(r"^\d+(?:\.\d+)?$")  # an Excel date serial, with a time as its fraction
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_ROLE_IN_BRACKETS = re.compile(r"^(.*?)\s*[(\[]\s*([^)\]]+?)\s*[)\]]\s*$")
_ROLE_AFTER_DASH = re.compile(r"^(.*?\S)\s+[-\u2013\u2014]\s+(\S.*)$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_EXCEL_EPOCH = date(1899, 12, 30)
_SIMPLE_EMAIL = re.compile(r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
                           r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_HAS_ALNUM = re.compile(r"[^\W_]")
_URL = re.compile(r"^(?:([A-Za-z][A-Za-z0-9+.-]*)://)?([^/?#\s]*)([^?#\s]*)")
LEGAL_SUFFIXES = frozenset({"pty", "ltd", "limited", "inc", "incorporated", "llc", "cc", "plc",
                            "corp", "corporation", "co", "company", "gmbh", "npc", "soc", "sa",
                            "bv", "proprietary", "rf"})


def clean_text(value: str) -> str:
    """Unicode NFC, no invisible characters, every whitespace run (NBSP, newlines) one space."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value.translate(_INVISIBLE))
    elif _is_clean_ascii(value):
        return value  # the common case: already clean, skip the split/join
    return " ".join(value.split())


def _is_clean_ascii(value: str) -> bool:
    """True when an ASCII string has no whitespace to fix. Printable ASCII has no whitespace
    but the space, so only leading, trailing or double spaces remain to check (several times
    faster than a regular expression). False may also mean a harmless control character;
    the split/join that follows then returns the text unchanged."""
    return value.isprintable() and value[:1] != " " and value[-1:] != " " and \
        "  " not in value


def cell_text(value: Any) -> str:
    """The text a user sees in the cell: 27821234567.0 -> '27821234567', never '2.78e10'."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.isascii() and _is_clean_ascii(value):
            return value
        return clean_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return clean_text(str(value))


Problem = tuple[str, str, str]  # (value as written, reason, issue kind)
NO_PROBLEMS: tuple[Problem, ...] = ()


class Normaliser:
    """Per-value normalisers for each field type. Each takes one raw cell value and returns
    (clean result, problems); they are pure, so callers may memoise them by value."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.code, self.nsn_length = COUNTRY_CODES.get(profile.default_country, ("", None))
        self.longest_placeholder = max(map(len, profile.placeholders), default=0)
        self.category_values = {
            name: {v.casefold(): v for v in spec.values}
            for name, spec in profile.fields.items() if spec.type == "category"
        }

    def is_placeholder(self, text: str) -> bool:
        if len(text) > self.longest_placeholder:
            return not (text[0].isalnum() or _HAS_ALNUM.search(text))
        return not text or text.casefold() in self.profile.placeholders or \
            not _HAS_ALNUM.search(text)

    def text(self, value: Any) -> tuple[str, tuple[Problem, ...]]:
        text = cell_text(value)
        return ("" if self.is_placeholder(text) else text), NO_PROBLEMS

    def person(self, value: Any) -> tuple[tuple[str, str], tuple[Problem, ...]]:
        text = cell_text(value)
        return (("", "") if self.is_placeholder(text) else split_person(text)), NO_PROBLEMS

    def emails(self, value: Any) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
        text = cell_text(value)
        if "@" not in text:
            return (), ((text, "placeholder or text without @ dropped", REJECTED_VALUE),)
        lowered = text.lower()
        if _SIMPLE_EMAIL.match(lowered):  # a stricter subset of _EMAIL
            return (lowered,), NO_PROBLEMS  # the common case: one plain address
        found: list[str] = []
        problems: list[Problem] = []
        for part in _EMAIL_SPLIT.split(text):
            email = part.strip("<>()\"'.").removeprefix("mailto:").lower()
            if not email:
                continue
            if _EMAIL.match(email):
                if email not in found:
                    found.append(email)
            else:
                problems.append((part, "not a valid email address", REJECTED_VALUE))
        return tuple(found), tuple(problems)

    def phones(self, value: Any) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            e164 = self.phone(cell_text(value))  # a number: no separators to split on
            if e164 is not None:
                return (e164,), NO_PROBLEMS
        found: list[str] = []
        problems: list[Problem] = []
        for part in _PHONE_SPLIT.split(cell_text(value)):
            if not part:
                continue
            e164 = self.phone(part)
            if e164 is None:
                reason = ("placeholder dropped" if self.is_placeholder(part)
                          else "not a valid phone number")
                problems.append((part, reason, REJECTED_VALUE))
            elif e164 not in found:
                found.append(e164)
        return tuple(found), tuple(problems)

    def phone(self, text: str) -> str | None:
        digits = _NON_DIGIT.sub("", text)
        if len(digits) < 7:
            return None
        code, nsn = self.code, self.nsn_length
        if text.lstrip().startswith("+"):
            number = digits
        elif digits.startswith("00"):
            number = digits[2:]
        elif digits.startswith("0") and code:
            number = code + digits[1:]
        elif code and digits.startswith(code) and (nsn is None or len(digits) == len(code) + nsn):
            number = digits
        elif code and nsn is not None and len(digits) == nsn:
            number = code + digits
        else:
            return None
        if not 8 <= len(number) <= 15:
            return None
        if code and nsn is not None and number.startswith(code) and \
                len(number) != len(code) + nsn:
            return None
        return "+" + number

    def website(self, value: Any) -> tuple[str, tuple[Problem, ...]]:
        text = cell_text(value)
        if self.is_placeholder(text):
            return "", ((text, "placeholder dropped", REJECTED_VALUE),)
        match = _URL.match(text)
        scheme = (match.group(1) or "https").lower() if match else ""
        host = match.group(2).lower().rstrip(".").split("@")[-1].split(":")[0] if match else ""
        if " " in text or "@" in text or not _HOST.match(host) or \
                scheme not in ("http", "https"):
            return "", ((text, "not a website address", REJECTED_VALUE),)
        path = match.group(3).rstrip("/") if match else ""
        return f"https://{host}{path}", NO_PROBLEMS

    def province(self, value: Any) -> tuple[str, tuple[Problem, ...]]:
        text = cell_text(value)
        if self.is_placeholder(text):
            return "", ((text, "placeholder dropped", REJECTED_VALUE),)
        canonical = self.profile.province_aliases.get(heading_key(text))
        if canonical:
            return canonical, NO_PROBLEMS
        if self.profile.province_aliases:
            return text, ((text, "unrecognised province kept as written", WARNING),)
        return text, NO_PROBLEMS

    def category(self, value: Any, field: str) -> tuple[str, tuple[Problem, ...]]:
        text = cell_text(value)
        if self.is_placeholder(text):
            return "", ((text, "placeholder dropped", REJECTED_VALUE),)
        return self.category_values.get(field, {}).get(text.casefold(), text), NO_PROBLEMS

    def date(self, value: Any) -> tuple[str, tuple[Problem, ...]]:
        parsed = parse_date(value)
        if parsed is None:
            text = cell_text(value)
            if self.is_placeholder(text):
                return "", NO_PROBLEMS
            return "", ((text, "not a date (expected dd/mm/yyyy)", REJECTED_VALUE),)
        return parsed.isoformat(), NO_PROBLEMS


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _EXCEL_EPOCH + timedelta(days=int(value)) if 1 <= value < 2958466 else None
    text = cell_text(value)
    try:
        if match := _DMY.match(text):
            day, month, year = (int(g) for g in match.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        if match := _YMD.match(text):
            return date(*(int(g) for g in match.groups()))
        if _SERIAL.match(text) and 20000 <= float(text) < 80001:  # a serial read as text
            return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    except ValueError:
        return None
    return None


def split_person(text: str) -> tuple[str, str]:
    """'Jane Doe (Chief Pilot)' -> ('Jane Doe', 'Chief Pilot'); no role -> (text, '')."""
    if not ("(" in text or "[" in text or " - " in text or " \u2013 " in text
            or " \u2014 " in text):  # no bracket or spaced dash: no role (cheaper than a regex)
        return text, ""
    for pattern in (_ROLE_IN_BRACKETS, _ROLE_AFTER_DASH):
        match = pattern.match(text)
        if match and match.group(1) and match.group(2):
            return match.group(1).strip(" ,"), match.group(2).strip()
    return text, ""


def organisation_key(name: str) -> str:
    """Case-folded name without accents, punctuation, a leading 'the' or legal suffixes."""
    folded = name.replace("&", " and ").casefold()
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    if folded.isascii() and folded.replace(" ", "").isalnum():  # nothing but words and spaces
        tokens = folded.split()
    else:
        tokens = _NON_WORD.sub(" ", folded).split()
    while tokens and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    if "pty" in tokens:
        tokens = [t for t in tokens if t != "pty"]
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    return " ".join(tokens)
