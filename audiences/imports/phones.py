"""Phone numbers to E.164 with their type, fast for the common Japanese formats.

``phonenumbers`` validates about 20,000 numbers a second per core, too slow for a million-row
import. Japanese numbers written domestically (``090-1234-5678``, ``03 1234 5678``, full-width
digits) or as ``+81…`` take a fast path: strip separators, drop the national prefix, and classify the
national number with the *same* metadata patterns, in the same order, that ``phonenumbers`` uses
(its ``_number_type_helper``). Every Japanese pattern is decided by the first three digits and the
length, so the answer is memoised per (first four digits, length). ``010…`` is Japan's
international call prefix (``010 1 212…`` dials New York), so it is left to ``phonenumbers``, as is
anything else; tests/audiences/test_phones.py proves both paths agree over many generated numbers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from django.conf import settings
from phonenumbers import PhoneMetadata, PhoneNumberType

# Separators written in Japanese data: ASCII and full-width spaces, hyphens and dashes of every
# kind, the katakana prolonged sound mark typed as a dash, dots and parentheses.
_SEPARATORS = " \t\u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff70.()\uff08\uff09\uff0e"
_TRANSLATE = {ord(c): None for c in _SEPARATORS}
_TRANSLATE.update({0xFF10 + i: ord("0") + i for i in range(10)})  # full-width digits
_TRANSLATE[0xFF0B] = ord("+")  # full-width plus

_TYPES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "unknown",
}


class Phone(NamedTuple):
    e164: str
    type: str  # mobile, fixed_line, other, unknown


def clean(raw: str) -> str:
    """Full-width digits to ASCII, separators removed."""
    return raw.translate(_TRANSLATE)


def _type_name(number_type: int) -> str:
    return _TYPES.get(number_type, "other")


@lru_cache(maxsize=1)
def _jp_descriptors():
    metadata = PhoneMetadata.metadata_for_region("JP")

    def compiled(desc):
        if desc is None or desc.national_number_pattern is None:
            return None
        return (frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern).fullmatch)

    general = compiled(metadata.general_desc)
    ordered = [
        (PhoneNumberType.PREMIUM_RATE, compiled(metadata.premium_rate)),
        (PhoneNumberType.TOLL_FREE, compiled(metadata.toll_free)),
        (PhoneNumberType.SHARED_COST, compiled(metadata.shared_cost)),
        (PhoneNumberType.VOIP, compiled(metadata.voip)),
        (PhoneNumberType.PERSONAL_NUMBER, compiled(metadata.personal_number)),
        (PhoneNumberType.PAGER, compiled(metadata.pager)),
        (PhoneNumberType.UAN, compiled(metadata.uan)),
        (PhoneNumberType.VOICEMAIL, compiled(metadata.voicemail)),
    ]
    same = bool(metadata.same_mobile_and_fixed_line_pattern)
    return general, [(t, d) for t, d in ordered if d], compiled(metadata.fixed_line), compiled(metadata.mobile), same


def _matches(national: str, desc) -> bool:
    lengths, fullmatch = desc
    return (not lengths or len(national) in lengths) and fullmatch(national) is not None


def _jp_type(national: str) -> int:
    """``phonenumbers``' number-type decision for a Japanese national significant number."""
    general, ordered, fixed, mobile, same = _jp_descriptors()
    if not _matches(national, general):
        return PhoneNumberType.UNKNOWN
    for number_type, desc in ordered:
        if _matches(national, desc):
            return number_type
    if fixed and _matches(national, fixed):
        if same or (mobile and _matches(national, mobile)):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not same and mobile and _matches(national, mobile):
        return PhoneNumberType.MOBILE
    return PhoneNumberType.UNKNOWN


_MEMO: dict[str, str | None] = {}


def _jp_type_name(national: str) -> str | None:
    """Our type name for a Japanese national number, None when invalid; memoised per (prefix, length)."""
    key = national[:4] + str(len(national))
    try:
        return _MEMO[key]
    except KeyError:
        number_type = _jp_type(national)
        name = None if number_type == PhoneNumberType.UNKNOWN else _TYPES.get(number_type, "other")
        _MEMO[key] = name
        return name


# The commonest shape of all, a domestic number in ASCII digits ("0312345678", or "090-1234-5678"
# without its hyphens), is decided by one lookup: per length, per first five digits (the 0 and the
# four that, with the length, decide the type). The value is our type name (the number is "+81" +
# digits[1:]), None for an invalid number, or "" when the number does not have that shape (00…;
# 010…, Japan's international prefix; other lengths) and parse_phone decides. A file meets a few dozen
# keys, so the tables stay in the CPU's cache. The importer reads them inline and calls domestic_type
# when a key is missing.
DOMESTIC_TYPES: dict[int, dict[str, str | None]] = {}
_DOMESTIC_KEYS = 20_000  # per length; past that, answers are computed but not kept


def domestic_type(digits: str) -> str | None:
    """DOMESTIC_TYPES' answer for a non-empty string of ASCII digits."""
    table = DOMESTIC_TYPES.setdefault(len(digits), {})
    try:
        return table[digits[:5]]
    except KeyError:
        shaped = len(digits) in (10, 11) and digits[0] == "0" and digits[1] != "0" and digits[1:3] != "10"
        name = _jp_type_name(digits[1:]) if shaped else ""
        if len(table) < _DOMESTIC_KEYS:
            table[digits[:5]] = name
        return name


def parse_phone_slow(text: str, region: str) -> Phone | None:
    """``phonenumbers`` only: the reference the fast path must agree with."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164, _type_name(phonenumbers.number_type(number)))


# What reaches phonenumbers in an import is mostly the same few bad values again and again ("090-12",
# "0", "なし"), each costing ~50 µs; a bounded memo answers the repeats.
_parse_phone_slow_memo = lru_cache(maxsize=4096)(parse_phone_slow)


def _national_jp(text: str, region: str) -> str | None:
    """The national significant number when ``text`` is plainly Japanese, else None."""
    if text[:3] == "+81":
        national = text[3:]
    elif region == "JP" and text[:1] == "0" and text[:3] != "010":
        national = text[1:]
    else:
        return None
    if 9 <= len(national) <= 10 and national.isdigit() and national.isascii() and national[0] != "0":
        return national
    return None


def parse_phone(raw: str, region: str | None = None) -> Phone | None:
    """E.164 and type of ``raw``, or None when it is not a valid number."""
    if region == "JP" and raw[:1] == "0" and raw.isascii():
        # "090-1234-5678" / "0312345678", decided inline: a million-row import calls this a million times.
        text = raw if raw.isdigit() else raw.replace("-", "").replace(" ", "")
        if text.isdigit():
            name = domestic_type(text)
            if name != "":
                return None if name is None else Phone("+81" + text[1:], name)
    if raw.isascii():
        text = raw if raw.isdigit() else raw.replace("-", "").replace(" ", "")
        if not text.isdigit() and text[:1] != "+" or text[:1] == "+" and not text[1:].isdigit():
            text = text.translate(_TRANSLATE)
    else:
        text = raw.translate(_TRANSLATE)
    if not text:
        return None
    region = region or settings.PHONE_DEFAULT_REGION
    national = _national_jp(text, region)
    if national is not None:
        name = _jp_type_name(national)
        return None if name is None else Phone("+81" + national, name)
    return _parse_phone_slow_memo(text, region)
