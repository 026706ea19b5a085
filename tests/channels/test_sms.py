"""SMS encoding and segment arithmetic at the exact boundaries carriers bill by."""

from __future__ import annotations

from django.test import override_settings

from channels import sms
from channels.sms import sms_info


def test_it_fits_160_gsm_characters_in_one_message():
    info = sms_info("a" * 160)
    assert (info.encoding, info.units, info.characters, info.segments) == ("GSM-7", 160, 160, 1)
    assert info.parts == ["a" * 160]


def test_it_splits_161_gsm_characters_into_153_and_8():
    info = sms_info("a" * 161)
    assert info.segments == 2
    assert [len(p) for p in info.parts] == [153, 8]
    assert "".join(info.parts) == "a" * 161


def test_extension_characters_cost_two_septets():
    info = sms_info("{}[]~^|\\€")
    assert info.encoding == "GSM-7"
    assert info.units == 18
    assert info.characters == 9


def test_80_extension_characters_overflow_one_message():
    assert sms_info("€" * 80).segments == 1
    info = sms_info("€" * 81)
    assert info.units == 162
    assert [len(p) for p in info.parts] == [76, 5]  # 76 × 2 = 152: a 77th would need 154 septets


def test_an_escape_sequence_never_straddles_the_153_boundary():
    text = "a" * 152 + "€" + "b" * 10  # the € would occupy septets 153 and 154
    info = sms_info(text)
    assert info.units == 164
    assert info.parts == ["a" * 152, "€" + "b" * 10]
    assert info.segments == 2


def test_an_extension_char_that_ends_exactly_on_153_stays_in_the_first_part():
    text = "a" * 151 + "€" + "b" * 10
    info = sms_info(text)
    assert info.parts == ["a" * 151 + "€", "b" * 10]


def test_it_fits_70_japanese_characters_in_one_message():
    info = sms_info("あ" * 70)
    assert (info.encoding, info.units, info.characters, info.segments) == ("UCS-2", 70, 70, 1)


def test_it_splits_71_japanese_characters_into_67_and_4():
    info = sms_info("あ" * 71)
    assert info.segments == 2
    assert [len(p) for p in info.parts] == [67, 4]


def test_one_non_gsm_character_switches_the_whole_text_to_ucs2():
    info = sms_info("a" * 100 + "é" + "ア")  # é is GSM, ア is not
    assert info.encoding == "UCS-2"
    assert info.units == 102
    assert info.segments == 2


def test_an_emoji_counts_two_utf16_units():
    info = sms_info("😀" * 35)
    assert (info.units, info.characters, info.segments) == (70, 35, 1)
    assert sms_info("😀" * 35 + "a").segments == 2


def test_a_surrogate_pair_never_straddles_the_67_boundary():
    text = "あ" * 66 + "😀" + "い" * 5  # the emoji would occupy units 67 and 68
    info = sms_info(text)
    assert info.units == 73
    assert info.parts == ["あ" * 66, "😀" + "い" * 5]
    assert all(len(p.encode("utf-16-le")) // 2 <= 67 for p in info.parts)


def test_an_emoji_that_ends_exactly_on_67_stays_in_the_first_part():
    info = sms_info("あ" * 65 + "😀" + "い" * 5)
    assert info.parts == ["あ" * 65 + "😀", "い" * 5]


def test_the_660_character_limit_comes_from_the_setting():
    assert sms.SMS_MAX_CHARS == 660
    at_limit = sms_info("あ" * 660)
    assert not at_limit.too_long
    assert at_limit.segments == 10  # 660 / 67 → 9 full parts + 57
    over = sms_info("あ" * 661)
    assert over.too_long
    with override_settings(SMS_MAX_CHARS=100):
        assert sms.SMS_MAX_CHARS == 100
        assert sms_info("a" * 101).too_long


def test_an_empty_text_has_no_segments():
    info = sms_info("")
    assert (info.units, info.segments, info.parts) == (0, 0, [])


def test_newlines_are_gsm_characters():
    info = sms_info("line one\nline two\r")
    assert info.encoding == "GSM-7"
    assert info.units == 18
