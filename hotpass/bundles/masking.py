"""Secret and personal-data masking for everything written under dist/ or printed.

Secrets (API keys, tokens, passwords inside URLs) become `***`; e-mail addresses and phone numbers
are redacted from logs (cli.log, prefect.log) because those are read by people who should not see
contact data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# Environment variable names whose values are secrets wherever they appear.
_SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH)", re.IGNORECASE)
# user:password@ inside any scheme://… URL.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)@")
# NAME=value / --flag value / "name": "value" forms where the name says it is a secret.
_ASSIGNED_SECRET = re.compile(
    r"(?P<head>\b[A-Za-z0-9_-]*(?:API[_-]?KEY|TOKEN|SECRET|PASSWORD|PASSWD)[A-Za-z0-9_-]*"
    r"[\"']?\s*[:=]\s*[\"']?|--[a-z0-9-]*(?:key|token|secret|password)[ ]+)"
    r"(?P<value>[^\s\"',]+)", re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>\bBearer\s+)(?P<value>[A-Za-z0-9._~+/=-]+)")
# Well-known token shapes: Prefect Cloud keys (pnu_/pnb_), GitHub tokens.
_TOKEN_SHAPES = re.compile(r"\b(?:pn[ub]_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{20,})\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# E.164 numbers and common local forms (0XX XXX XXXX); digits glued to letters, dots, colons or
# hyphens (hashes, UUIDs, timestamps, versions) are left alone.
_PHONE = re.compile(
    r"(?<![\w.:/-])(?:\+\d{7,15}|\+?\d{1,3}[ ]\d{2,3}[ ]\d{3}[ ]\d{3,4}|0\d{2}[ ]?\d{3}[ ]?\d{4})"
    r"(?![\w.:/-])")


def is_secret_name(name: str) -> bool:
    """True when an environment variable's name marks its value as a secret."""
    return bool(_SECRET_NAME.search(name))


def secrets_from_environ(environ: Mapping[str, str]) -> list[str]:
    """Values of secret-named variables (and passwords inside URL-valued variables)."""
    found: list[str] = []
    for name, value in environ.items():
        if not value:
            continue
        if is_secret_name(name) and len(value) >= 4:
            found.append(value)
        found.extend(m.group("pw") for m in _URL_PASSWORD.finditer(value))
    return sorted(set(found), key=lambda s: (-len(s), s))


def mask_url(url: str) -> str:
    """The URL as it may be shown: a password becomes `***` (the user name is kept), a user part
    without a password (often a token) becomes `***`, query values become `***` and the fragment
    is dropped. Anything that does not parse as a URL goes through `mask_text`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not (at or parts.query or parts.fragment):
        return url  # as given: urlsplit drops newlines, which error messages must still show
    netloc = parts.netloc
    if at:
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if colon else f"{MASK}@{hostport}"
    query = "&".join(f"{pair.partition('=')[0]}={MASK}" if "=" in pair else pair
                     for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask every known secret value and every secret-looking pattern in `text`."""
    for secret in sorted({s for s in secrets if s}, key=lambda s: (-len(s), s)):
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)
    text = _ASSIGNED_SECRET.sub(_keep_head, text)
    text = _BEARER.sub(_keep_head, text)
    return _TOKEN_SHAPES.sub(MASK, text)


def redact_personal(text: str) -> str:
    """Replace e-mail addresses and phone numbers with placeholders."""
    return _PHONE.sub("<phone>", _EMAIL.sub("<email>", text))


def mask_log_text(text: str, secrets: Iterable[str] = ()) -> str:
    """What every log line under dist/ goes through: secrets masked, contact data redacted."""
    return redact_personal(mask_text(text, secrets))


def _keep_head(match: re.Match[str]) -> str:
    value = match.group("value")
    return match.group("head") + (value if value == MASK else MASK)
