"""Normalising contact data the same way everywhere (imports, suppressions, search, send time)."""

from __future__ import annotations

import re
import unicodedata

# The HTML living standard's "valid e-mail address", which is what browsers and most ESPs accept;
# the domain must have a dot so that typos like "taro@example" are caught.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def clean_email(raw: str) -> str | None:
    """The trimmed address when it is valid (full-width forms folded to ASCII), else None."""
    value = raw.strip()
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value).strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        return None
    return value


def normalize_email(raw: str) -> str | None:
    """The address as stored for comparisons (lower-cased), or None when invalid."""
    value = clean_email(raw)
    return value.lower() if value is not None else None


def normalize_address(channel: str, raw: str) -> str | None:
    """A suppression address for ``channel`` ("email", "sms" or "all"), or None when invalid."""
    from .imports.phones import parse_phone

    if channel == "email" or (channel == "all" and "@" in raw):
        return normalize_email(raw)
    parsed = parse_phone(raw)
    return parsed.e164 if parsed else None
