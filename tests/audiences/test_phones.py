"""The phone fast path gives exactly what ``phonenumbers`` gives, over many generated numbers."""

from __future__ import annotations

import random

import pytest
from phonenumbers import PhoneNumberType

from audiences.imports import phones
from audiences.imports.phones import clean, parse_phone, parse_phone_slow

FULL = str.maketrans("0123456789-+", "０１２３４５６７８９－＋")


def _formats(digits: str, rnd: random.Random) -> str:
    """Write a domestic number the ways Japanese data does."""
    national = digits[1:]
    choice = rnd.randrange(9)
    if choice == 0:
        return digits
    if choice == 1:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if choice == 2:
        return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"
    if choice == 3:
        return f"({digits[:3]}) {digits[3:7]} {digits[7:]}"
    if choice == 4:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}".translate(FULL)
    if choice == 5:
        return f"+81 {national[:2]} {national[2:6]} {national[6:]}"
    if choice == 6:
        return f"+81{national}".translate(FULL)
    if choice == 7:
        return f"{digits[:3]}ー{digits[3:7]}ー{digits[7:]}"
    return f"  {digits[:3]}\u3000{digits[3:7]}\u3000{digits[7:]} "


def _generated(count: int, seed: int):
    rnd = random.Random(seed)
    prefixes = ["090", "080", "070", "060", "050", "020", "0120", "0570", "0800", "0990", "03", "06", "011", "045",
                "092", "0466", "0267", "010", "00"]
    for _ in range(count):
        kind = rnd.random()
        if kind < 0.7:
            prefix = rnd.choice(prefixes)
            length = rnd.choice((10, 11))
            digits = prefix + "".join(rnd.choice("0123456789") for _ in range(length - len(prefix)))
        elif kind < 0.9:
            length = rnd.choice((9, 10, 11, 12))
            digits = "0" + "".join(rnd.choice("0123456789") for _ in range(length - 1))
        else:
            yield rnd.choice(["+1 212 555 0100", "+44 20 7946 0958", "+82 10 1234 5678", "12345", "abc",
                              "090-1234-567", "+81 3 1234 5678 ext 12", "+8190123456789", "81 90 1234 5678"])
            continue
        yield _formats(digits, rnd)


def test_fast_path_agrees_with_phonenumbers_on_generated_numbers():
    checked = fast = 0
    for raw in _generated(30_000, seed=4):
        expected = parse_phone_slow(clean(raw), "JP")
        got = parse_phone(raw, "JP")
        assert got == expected, raw
        checked += 1
        fast += phones._national_jp(clean(raw), "JP") is not None
    assert checked == 30_000
    assert fast > 20_000  # most numbers really took the fast path


def test_fast_path_agrees_with_phonenumbers_reading_the_raw_text():
    """Where ``phonenumbers`` itself understands the raw text, it reaches the same answer."""
    for raw in ["090-1234-5678", "03-1234-5678", "+81 90 1234 5678", "(080) 1234 5678", "０９０－１２３４－５６７８",
                "0120-123-456", "050-1234-5678"]:
        assert parse_phone(raw, "JP") == parse_phone_slow(raw, "JP"), raw


def test_type_is_decided_by_the_first_four_digits_and_the_length():
    """The memo keys on (first 4 digits, length); prove that holds for every prefix in the metadata."""
    rnd = random.Random(7)
    for prefix in range(1000, 10000):
        for length in (9, 10):
            types = {phones._jp_type(str(prefix) + "".join(rnd.choice("0123456789") for _ in range(length - 4)))
                     for _ in range(4)}
            assert len(types) == 1, (prefix, length, types)


@pytest.mark.parametrize(("raw", "e164", "kind"), [
    ("090-1234-5678", "+819012345678", "mobile"),
    ("080 1234 5678", "+818012345678", "mobile"),
    ("０７０－１２３４－５６７８", "+817012345678", "mobile"),
    ("03-1234-5678", "+81312345678", "fixed_line"),
    ("+81 3 1234 5678", "+81312345678", "fixed_line"),
    ("0120-123-456", "+81120123456", "other"),
    ("050-1234-5678", "+815012345678", "other"),
])
def test_common_japanese_numbers(raw, e164, kind):
    parsed = parse_phone(raw, "JP")
    assert parsed is not None and (parsed.e164, parsed.type) == (e164, kind)


@pytest.mark.parametrize("raw", ["090-1234-567", "0900-1234-5678", "12345", "", "phone", "010-1-212"])
def test_invalid_numbers(raw):
    assert parse_phone(raw, "JP") is None


def test_unknown_type_constant_is_not_a_valid_type():
    assert PhoneNumberType.UNKNOWN not in phones._TYPES


def test_domestic_table_agrees_with_phonenumbers_for_every_shape_of_digits():
    """The importer's inline lookup (DOMESTIC_TYPES / domestic_type) answers only what phonenumbers would."""
    rnd = random.Random(11)
    decided = 0
    for _ in range(20_000):
        prefix = rnd.choice(["0", "00", "01", "010", "03", "090", "0120", "1", "81"])
        length = rnd.choice([1, 4, 5, 6, 9, 10, 10, 10, 11, 11, 11, 12, 13])
        digits = (prefix + "".join(rnd.choice("0123456789") for _ in range(length)))[:max(length, 1)]
        name = phones.domestic_type(digits)
        if name == "":  # not the domestic shape: parse_phone leaves it to the general path
            continue
        decided += 1
        expected = parse_phone_slow(digits, "JP")
        assert (None if name is None else (f"+81{digits[1:]}", name)) == expected, digits
        assert parse_phone(digits, "JP") == expected, digits
    assert decided > 4_000  # about a quarter of the strings have the domestic shape


@pytest.mark.parametrize("digits", ["0101212555010", "0012345678", "0312345", "031234567890", "12345678901"])
def test_domestic_table_leaves_other_shapes_to_the_general_path(digits):
    assert phones.domestic_type(digits) == ""


def test_repeated_invalid_values_are_answered_from_the_memo():
    assert parse_phone("090-12", "JP") is None
    hits = phones._parse_phone_slow_memo.cache_info().hits
    assert parse_phone("090-12", "JP") is None
    assert phones._parse_phone_slow_memo.cache_info().hits == hits + 1
