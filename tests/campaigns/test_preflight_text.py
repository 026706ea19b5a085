"""Preflight checks on text: exact codes and severities for links, words, secrets, SMS and 特定電子メール法."""

from __future__ import annotations

import pytest
from django.test import override_settings

from campaigns.preflight.compliance import marketing_email_findings
from campaigns.preflight.sms import sms_cost_finding, sms_text_findings
from campaigns.preflight.text import (
    find_links,
    link_findings,
    prohibited_word_findings,
    secret_request_findings,
    subject_findings,
)
from campaigns.rendering import MessageSource, compile_message


def _codes(findings):
    return [(f.code, f.severity) for f in findings]


def _by_code(findings):
    return {f.code: f for f in findings}


# --- links ------------------------------------------------------------------------------------------

def test_links_are_found_with_and_without_scheme():
    text = ("詳しくは https://bank.example.jp/a?b=1 、または www.bank.example.jp や evil-bank.top/login へ。"
            "info@bank.co.jp")
    assert find_links(text) == ["https://bank.example.jp/a?b=1", "www.bank.example.jp", "evil-bank.top/login"]


def test_links_outside_the_allowed_domains_are_errors_and_subdomains_are_allowed():
    findings = link_findings(["https://www.bank.example.jp/x https://bank-example.top/x"], channel="email",
                             allowed_domains=["bank.example.jp"], sms_links_forbidden=False)
    assert _codes(findings) == [("link.domain_not_allowed", "error")]
    assert findings[0].params == {"domain": "bank-example.top"}


def test_full_width_lookalike_links_are_normalised_before_checking():
    findings = link_findings(["ｈｔｔｐｓ://evil.example.com/"], channel="email", allowed_domains=["bank.example.jp"],
                             sms_links_forbidden=False)
    assert findings[0].params == {"domain": "evil.example.com"}


def test_any_link_in_sms_is_an_error_when_the_organisation_forbids_them():
    findings = link_findings(["お支払いは https://bank.example.jp/pay"], channel="sms",
                             allowed_domains=["bank.example.jp"], sms_links_forbidden=True)
    assert _codes(findings) == [("sms.link_forbidden", "error")]
    assert link_findings(["お支払いは窓口で"], channel="sms", allowed_domains=[], sms_links_forbidden=True) == []


# --- words and secrets ---------------------------------------------------------------------------------

def test_prohibited_words_match_case_and_width_insensitively_with_their_severity():
    findings = prohibited_word_findings(["絶対に儲かる ＦＲＥＥ gift"], [("free", "error"), ("儲かる", "warning"),
                                                                      ("当選", "error")])
    assert _codes(findings) == [("text.prohibited_word", "error"), ("text.prohibited_word", "warning")]


@pytest.mark.parametrize("text", [
    "本人確認のため、暗証番号を入力してください。",
    "カード番号と有効期限をご返信ください",
    "Please reply with your PIN to confirm.",
    "Enter your password at the link below.",
    "パスワードを教えてください",
])
def test_a_template_asking_for_a_secret_is_an_error(text):
    assert _codes(secret_request_findings([text])) == [("text.asks_for_secret", "error")]


@pytest.mark.parametrize("text", [
    "当行が暗証番号をお尋ねすることはありません。",
    "We will never ask for your password.",
    "パスワードの変更が完了しました。",
])
def test_a_secret_merely_mentioned_is_a_warning(text):
    assert _codes(secret_request_findings([text])) == [("text.mentions_secret", "warning")]


def test_ordinary_text_has_no_secret_findings():
    assert secret_request_findings(["ご請求額は12,345円です。お支払い期限をご確認ください。", "Shopping points"]) == []


def test_email_without_subject_is_an_error_and_sms_has_none():
    assert _codes(subject_findings(channel="email", subject="  ")) == [("email.no_subject", "error")]
    assert subject_findings(channel="sms", subject="") == []


# --- SMS (through channels.sms) -----------------------------------------------------------------------

def _sms(text):
    return _by_code(sms_text_findings(text))


def test_gsm7_fits_160_in_one_and_153_per_part():
    one = _sms("a" * 160)
    assert one["sms.encoding"].params["encoding"] == "GSM-7"
    assert one["sms.segments"].params["segments"] == 1
    assert one["sms.segments"].severity == "info"
    two = _sms("a" * 161)
    assert two["sms.segments"].params["segments"] == 2
    assert two["sms.segments"].severity == "warning"
    assert _sms("a" * 306)["sms.segments"].params["segments"] == 2
    assert _sms("a" * 307)["sms.segments"].params["segments"] == 3


def test_an_extension_character_counts_double_and_is_never_split():
    assert _sms("a" * 159 + "€")["sms.segments"].params == {"characters": 160, "segments": 2, "units": 161}
    # 152 septets + an escape sequence: the € does not fit in the first part's 153 and moves whole.
    text = "a" * 152 + "€" + "b" * 10  # 164 septets: two parts
    assert _sms(text)["sms.segments"].params == {"characters": 163, "segments": 2, "units": 164}
    from channels.sms import sms_info

    assert sms_info(text).parts == ["a" * 152, "€" + "b" * 10]


def test_japanese_is_ucs2_at_70_in_one_and_67_per_part():
    assert _sms("あ" * 70)["sms.encoding"].params == {"encoding": "UCS-2", "single": 70, "part": 67}
    assert _sms("あ" * 70)["sms.segments"].params["segments"] == 1
    assert _sms("あ" * 71)["sms.segments"].params["segments"] == 2
    assert _sms("あ" * 134)["sms.segments"].params["segments"] == 2
    assert _sms("あ" * 135)["sms.segments"].params["segments"] == 3


def test_an_emoji_surrogate_pair_is_never_split():
    from channels.sms import sms_info

    text = "あ" * 66 + "😀" + "い" * 10
    info = sms_info(text)
    assert info.parts[0] == "あ" * 66 and info.parts[1].startswith("😀")
    assert _sms(text)["sms.segments"].params["segments"] == 2


def test_the_long_sms_limit_is_an_error_above_the_setting():
    assert "sms.too_long" not in _sms("あ" * 660)
    too_long = _sms("あ" * 661)["sms.too_long"]
    assert (too_long.severity, too_long.params) == ("error", {"characters": 661, "limit": 660})
    with override_settings(SMS_MAX_CHARS=100):
        assert _sms("a" * 101)["sms.too_long"].params == {"characters": 101, "limit": 100}


@override_settings(SMS_COST_PER_SEGMENT_YEN=3)
def test_sms_cost_estimate_and_upper_bound():
    finding = sms_cost_finding(recipients=1000, mean_segments=1.5, max_segments=2)
    assert finding.params == {"estimate": 4500, "maximum": 6000, "per_segment": 3, "recipients": 1000}


# --- 特定電子メール法 -------------------------------------------------------------------------------------

COMPLETE_SENDER = {"name": "サンプル銀行", "postal_address": "東京都千代田区1-1-1", "contact": "0120-000-000"}
WITH_OPT_OUT = "配信停止はこちら: {{ unsubscribe_url }}"


def _marketing(sender, *, text=WITH_OPT_OUT, html=""):
    compiled = compile_message(MessageSource("email", subject="お知らせ", text=text, html=html))
    return _codes(marketing_email_findings(compiled=compiled, sender=sender))


def test_marketing_email_with_every_item_passes():
    assert _marketing(COMPLETE_SENDER) == []


@pytest.mark.parametrize(("missing", "code"), [
    ("name", "marketing.sender_name_missing"),
    ("postal_address", "marketing.postal_address_missing"),
    ("contact", "marketing.contact_missing"),
])
def test_each_sender_item_missing_in_turn_is_an_error(missing, code):
    assert _marketing({**COMPLETE_SENDER, missing: ""}) == [(code, "error")]


def test_marketing_email_without_the_opt_out_link_is_an_error():
    assert _marketing(COMPLETE_SENDER, text="セール開催中") == [("marketing.opt_out_missing", "error")]


def test_the_html_body_needs_the_opt_out_link_too():
    findings = _marketing(COMPLETE_SENDER, html="<p>セール</p>")
    assert findings == [("marketing.opt_out_missing", "error")]
