"""Header encoding for the fast builder: RFC 2047 words, addresses, Message-ID and VERP.

Everything here is pure string work; results that repeat across a batch (the sender, the subject
of a campaign) are cached.
"""

from __future__ import annotations

import base64
import re
import time
from email.utils import formatdate, parseaddr
from functools import lru_cache

_PREFIX, _SUFFIX = "=?UTF-8?B?", "?="
_WORD_BYTES = 39  # → 52 base64 chars, a 64-char word: ≤ 75 (RFC 2047) and "Subject: " + word ≤ 78 (RFC 5322)
_ATEXT_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]+$")


class HeaderError(ValueError):
    """A value that cannot go into a header (CR/LF injection, a malformed address)."""


def _clean(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderError("line break in a header value")
    return value


def _words(text: str) -> list[str]:
    """Split into encoded-words without cutting a UTF-8 sequence (Japanese clients reject half chars)."""
    words, chunk, size = [], [], 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if size + n > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    if chunk:
        words.append("".join(chunk))
    return [_PREFIX + base64.b64encode(w.encode("utf-8")).decode("ascii") + _SUFFIX for w in words]


@lru_cache(maxsize=256)
def encode_text(value: str) -> str:
    """An unstructured header value (Subject): plain if short ASCII, else folded RFC 2047 B-words."""
    value = _clean(value)
    if value.isascii() and len(value) < 900 and "=?" not in value:
        return value
    return "\r\n ".join(_words(value))


_MAILBOX = re.compile(r'^\s*(?:"?([^"<>]*?)"?\s*<([^<>\s@]+@[^<>\s@]+)>|([^<>\s@"(),;:]+@[^<>\s@"(),;:]+))\s*$')


def split_address(value: str) -> tuple[str, str]:
    """(display name, address). A regex for the usual shapes, ``parseaddr`` (10× slower) for the rest."""
    match = _MAILBOX.match(_clean(value))
    if match:
        return (match.group(1) or "").strip(), match.group(2) or match.group(3)
    name, addr = parseaddr(value)
    if not addr or "@" not in addr:
        raise HeaderError(f"not an email address: {value!r}")
    return name, addr


def encode_address(value: str) -> str:
    """``"山田 <a@example.jp>"`` or ``"a@example.jp"`` → a header-safe mailbox; IDN domains in punycode."""
    name, addr = split_address(value)
    addr = ascii_address(addr)
    if not name:
        return addr
    if name.isascii():
        if _ATEXT_SPECIALS.search(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{addr}>"
    return " ".join(_words(name)) + f" <{addr}>"


def ascii_address(addr: str) -> str:
    if addr.isascii():
        return addr
    local, _, domain = addr.rpartition("@")
    if not local.isascii():
        raise HeaderError(f"a non-ASCII local part needs SMTPUTF8: {addr!r}")
    return local + "@" + domain.encode("idna").decode("ascii")


def address_domain(value: str) -> str:
    return split_address(value)[1].rpartition("@")[2].lower()


_date_cache: tuple[int, str] = (0, "")


def date_header() -> str:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def message_id_header(message_id: str, domain: str) -> str:
    """The delivery id as an RFC 5322 msg-id: ``<{id}@{domain}>``."""
    if not _SAFE_ID.match(message_id):
        raise HeaderError(f"message id must be [A-Za-z0-9._-]+: {message_id!r}")
    return f"<{message_id}@{domain}>"


def message_id_from_header(value: str, domain: str | None = None) -> str | None:
    """Back from ``<id@domain>`` to the delivery id (``None`` if it is not one of ours)."""
    match = re.fullmatch(r"\s*<([A-Za-z0-9._-]+)@([^>]+)>\s*", value or "")
    if not match or (domain and match.group(2).lower() != domain.lower()):
        return None
    return match.group(1)


def verp_address(bounce_address: str, message_id: str) -> str:
    """``bounces@example.jp`` + id → ``bounces+{id}@example.jp``: a bounce names the delivery it is about."""
    local, _, domain = bounce_address.rpartition("@")
    if not local or not _SAFE_ID.match(message_id):
        raise HeaderError(f"cannot build a VERP address from {bounce_address!r} and {message_id!r}")
    return f"{local}+{message_id}@{domain}"


def verp_message_id(address: str) -> str | None:
    """The delivery id carried by a VERP address (the recipient of a bounce), or ``None``."""
    local = parseaddr(address or "")[1].rpartition("@")[0]
    if "+" not in local:
        return None
    candidate = local.split("+", 1)[1]
    return candidate if _SAFE_ID.match(candidate) else None
