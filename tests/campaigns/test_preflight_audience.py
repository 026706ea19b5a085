"""Preflight over the whole audience: exact counts from set-based queries, previews of real recipients."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audiences.models import ExclusionEntry, ExclusionList, Recipient, Suppression
from campaigns.preflight.runner import run_preflight
from campaigns.services import campaign_create, campaign_submit, template_create

from .conftest import customer

pytestmark = pytest.mark.django_db


def _findings(campaign):
    return {f.code: f for f in run_preflight(campaign).findings}


def _campaign(people, segment, sender, *, channel="email", purpose="notice", **parts):
    template = template_create(user=people["author"], name=f"t-{segment.pk}-{channel}", channel=channel,
                               subject=parts.pop("subject", "件名"), **parts)
    return campaign_create(user=people["author"], name="c", purpose=purpose, template=template, segment=segment,
                           sender=sender, **{k: v for k, v in parts.items() if k not in ("text", "body")})


def test_missing_and_empty_merge_fields_are_counted_over_the_generated_segment(people, make_audience, email_sender):
    rows = []
    for i in range(200):
        attributes = {"amount": str(i), "due": "2026-11-25"}
        if i % 10 == 0:
            del attributes["amount"]  # 20 lack the key
        elif i % 25 == 1:
            attributes["amount"] = "  "  # 8 have it blank
        elif i % 50 == 2:
            attributes["amount"] = None  # 4 have a JSON null: missing too
        rows.append(customer(i, attributes=attributes))
    segment = make_audience(rows)
    campaign = _campaign(people, segment, email_sender, text="{{ name }} {{ amount|yen }} {{ due|jdate }}")
    findings = _findings(campaign)
    missing = findings["template.undefined_field"]
    assert (missing.severity, missing.params) == ("error", {"field": "amount", "count": 24})
    assert missing.link == f"/campaigns/{campaign.pk}/missing/amount/"
    empty = findings["template.empty_field"]
    assert (empty.severity, empty.params) == ("warning", {"field": "amount", "count": 8})


def test_optional_fields_missing_are_only_information(people, make_audience, email_sender):
    segment = make_audience([customer(1), customer(2, attributes={})])
    campaign = _campaign(people, segment, email_sender, text="{{ name }}{{ note|default('') }}")
    finding = _findings(campaign)["template.undefined_field"]
    assert (finding.severity, finding.params) == ("info", {"field": "note", "count": 2})


def test_block_reasons_are_counted_in_one_grouped_query(people, make_audience, email_sender):
    rows = [customer(i) for i in range(12)]
    rows[0]["email"] = ""  # no contact
    segment = make_audience(rows)
    Suppression.objects.create(channel="email", address="c1@example.jp", reason="hard_bounce")
    Suppression.objects.create(channel="all", address="c2@example.jp", reason="legal_hold")
    Suppression.objects.create(channel="email", address="c3@example.jp", reason="opt_out")  # a notice may bypass
    exclusions = ExclusionList.objects.create(name="係争中")
    ExclusionEntry.objects.create(exclusion_list=exclusions, external_id=Recipient.objects.get(
        email="c4@example.jp").external_id)
    campaign = _campaign(people, segment, email_sender, text="{{ name }}")
    campaign.exclusion_list = exclusions
    campaign.save()
    from campaigns.preflight.audience import audience_stats
    from campaigns.selectors import campaign_audience

    with CaptureQueriesContext(connection) as queries:
        stats = audience_stats(campaign_audience(campaign), channel="email", purpose="notice",
                               exclusion_list_id=exclusions.pk, fields={"name"})
    scans = [q for q in queries.captured_queries if "audiences_recipient" in q["sql"]]
    assert len(scans) == 1  # one pass over the audience (PostgreSQL adds SET LOCAL statements around it)
    assert stats.total == 12 and stats.sendable == 8
    assert stats.blocked == {"no_contact": 1, "suppressed.hard_bounce": 1, "suppressed.legal_hold": 1,
                             "excluded": 1}
    findings = _findings(campaign)
    assert findings["audience.sendable"].params == {"count": 8, "total": 12}
    assert findings["audience.excluded"].params == {"count": 1}
    assert findings["audience.no_contact"].params == {"count": 1}


def test_sms_counts_landlines_and_missing_numbers(people, make_audience, sms_sender):
    rows = [customer(i) for i in range(5)]
    rows[0]["phone_type"] = "fixed_line"
    rows[1]["phone"] = ""
    segment = make_audience(rows)
    campaign = _campaign(people, segment, sms_sender, channel="sms", purpose="transactional", body="{{ name }}様")
    findings = _findings(campaign)
    assert findings["audience.not_mobile"].params == {"count": 1}
    assert findings["audience.no_contact"].params == {"count": 1}
    assert findings["audience.sendable"].params == {"count": 3, "total": 5}


def test_an_empty_audience_is_an_error(people, make_audience, email_sender):
    segment = make_audience([customer(1, email="")])
    assert _findings(_campaign(people, segment, email_sender, text="x"))["audience.empty"].severity == "error"


def test_previews_include_the_longest_name_and_a_recipient_with_empty_optional_fields(people, make_audience,
                                                                                      email_sender):
    rows = [customer(i) for i in range(30)]
    rows[7]["name"] = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末"
    rows[11]["attributes"] = {"amount": "1", "due": "2026-11-25", "note": ""}
    for row in rows:
        row["attributes"].setdefault("note", "備考")
    rows[11]["attributes"]["note"] = ""
    segment = make_audience(rows)
    campaign = _campaign(people, segment, email_sender, text="{{ name|sama }} {{ amount|yen }} {{ note|default('') }}")
    result = run_preflight(campaign)
    labels = {p.label: p for p in result.previews}
    assert labels["longest_name"].recipient["name"] == rows[7]["name"]
    assert labels["empty_optional"].recipient["external_id"].endswith("000011")
    assert labels["longest_name"].parts["text"].startswith(rows[7]["name"] + "様")
    assert sum(1 for p in result.previews if p.label == "random") >= 1
    assert len({p.recipient["id"] for p in result.previews}) == len(result.previews)


@override_settings(SMS_COST_PER_SEGMENT_YEN=10)
def test_sms_length_and_cost_come_from_the_longest_real_message(people, make_audience, sms_sender):
    rows = [customer(i) for i in range(5)]
    rows[3]["name"] = "長" * 700
    segment = make_audience(rows)
    campaign = _campaign(people, segment, sms_sender, channel="sms", purpose="transactional", body="{{ name }}様")
    findings = _findings(campaign)
    assert findings["sms.too_long"].params == {"characters": 701, "limit": 660}
    assert findings["sms.too_long"].severity == "error"
    assert findings["sms.encoding"].params["encoding"] == "UCS-2"
    cost = findings["sms.cost"].params
    assert cost["maximum"] == 5 * 11 * 10  # 701 UCS-2 units → 11 parts of 67


def test_a_japanese_template_is_ucs2_for_everyone_so_fields_are_not_scanned(people, make_audience, sms_sender):
    segment = make_audience([customer(1, name="山田")])
    campaign = _campaign(people, segment, sms_sender, channel="sms", purpose="transactional", body="{{ name }}様")
    result = run_preflight(campaign)
    assert result.summary["non_gsm"] == 0 and "sms.ucs2_recipients" not in {f.code for f in result.findings}


def test_recipients_whose_fields_force_ucs2_are_counted(people, make_audience, sms_sender):
    rows = [customer(i, name=f"Customer {i}") for i in range(6)]
    rows[2]["name"] = "山田"
    rows[4]["name"] = "Zoë😀"
    segment = make_audience(rows)
    campaign = _campaign(people, segment, sms_sender, channel="sms", purpose="transactional",
                         body="Dear {{ name }}, your card is ready.")
    result = run_preflight(campaign)
    findings = {f.code: f for f in result.findings}
    assert result.summary["non_gsm"] == 2
    assert findings["sms.ucs2_recipients"].params == {"count": 2}


def test_a_template_asking_for_a_pin_cannot_be_submitted(people, make_audience, sms_sender):
    segment = make_audience([customer(1)])
    campaign = _campaign(people, segment, sms_sender, channel="sms", purpose="transactional",
                         body="本人確認のため暗証番号を返信してください。")
    findings = _findings(campaign)
    assert findings["text.asks_for_secret"].severity == "error"
    from campaigns.services import CampaignError

    with pytest.raises(CampaignError) as exc:
        campaign_submit(campaign=campaign, user=people["author"])
    assert exc.value.details["errors"] == ["text.asks_for_secret"]


@override_settings(ALLOWED_LINK_DOMAINS=["bank.example.jp"], SMS_LINKS_FORBIDDEN=True)
def test_links_in_merged_fields_are_checked_too(people, make_audience, sms_sender, email_sender):
    segment = make_audience([customer(1, attributes={"url": "https://evil.example.com/x"})])
    campaign = _campaign(people, segment, email_sender, text="{{ name }} {{ url }}")
    assert _findings(campaign)["link.domain_not_allowed"].params == {"domain": "evil.example.com"}
    sms = _campaign(people, segment, sms_sender, channel="sms", purpose="transactional",
                    body="{{ name }} https://bank.example.jp/")
    assert _findings(sms)["sms.link_forbidden"].severity == "error"


def test_the_unsubscribe_link_is_always_an_allowed_domain(people, make_audience, email_sender):
    segment = make_audience([customer(1)])
    campaign = _campaign(people, segment, email_sender, purpose="notice",
                         text="{{ name }} 配信停止: {{ unsubscribe_url }}")
    result = run_preflight(campaign)
    assert "link.domain_not_allowed" not in {f.code for f in result.findings}
    assert "/audiences/u/" in result.previews[0].parts["text"]


def test_a_schedule_outside_the_window_is_a_warning_with_the_next_opening(people, make_audience, email_sender):
    segment = make_audience([customer(1)])
    campaign = _campaign(people, segment, email_sender, text="x")
    campaign.send_at = timezone.now() + dt.timedelta(days=2)
    campaign.send_at = campaign.send_at.astimezone(campaign.window.zone).replace(hour=22, minute=30)
    findings = _findings(campaign)
    assert findings["schedule.outside_window"].severity == "warning"
    assert "08:00" in findings["schedule.outside_window"].params["opening"]
    assert findings["schedule.duration"].params["rate"] == 10


def test_marketing_email_lists_each_missing_sender_item(people, make_audience, email_sender):
    email_sender.postal_address = ""
    email_sender.save()
    segment = make_audience([customer(1)])
    campaign = _campaign(people, segment, email_sender, purpose="marketing", text="{{ unsubscribe_url }}")
    findings = _findings(campaign)
    assert findings["marketing.postal_address_missing"].severity == "error"
    assert "marketing.opt_out_missing" not in findings
    assert findings["audience.no_consent"].params == {"count": 1}
