"""Normalising contact data the same way everywhere (imports, suppressions, search, send time)."""

from __future__ import annotations

import re
import unicodedata

# The HTML living standard's "valid e-mail address", which is what browsers and most ESPs accept;
# the domain must have a dot so that typos like "taro@example" are caught.
_LOCAL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
_EMAIL = re.compile(f"{_LOCAL}@{_DOMAIN}")

# The same test in two cheaper steps, for imports (a million addresses a file; imports/parse.py):
# neither part may hold an "@", so an address is valid when the text before its first "@" is a valid
# local part (alphanumeric, most often, which needs no regex) and the text after it a valid domain.
# A file holds few domains, so the verdict on each is remembered.
LOCAL_PART = re.compile(_LOCAL).fullmatch
_DOMAIN_MATCH = re.compile(_DOMAIN).fullmatch
KNOWN_DOMAINS: dict[str, bool] = {}
_MAX_KNOWN_DOMAINS = 10_000  # past that, verdicts are computed but not kept


def domain_is_valid(domain: str) -> bool:
    """Whether ``domain`` is valid after the "@" of an address, remembered in KNOWN_DOMAINS."""
    try:
        return KNOWN_DOMAINS[domain]
    except KeyError:
        valid = _DOMAIN_MATCH(domain) is not None
        if len(KNOWN_DOMAINS) < _MAX_KNOWN_DOMAINS:
            KNOWN_DOMAINS[domain] = valid
        return valid


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


def normalize_external_id(raw: str) -> str:
    """A customer number as the import stores it: trimmed, and NFKC-folded when not plain ASCII
    (full-width ``Ｃ００１`` is ``C001``). The import and the exclusion lists use it; the recipients
    page's search does not fold yet (it matches the number as typed)."""
    value = raw.strip()
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value).strip()
    return value
