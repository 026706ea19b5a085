"""Receipts, bounces, complaints and replies, as channels hands them over (already verified and parsed)."""

from __future__ import annotations

import pytest
from django.utils import translation

from audiences.models import Suppression
from audiences.services import suppression_add
from audit.models import AuditEvent
from campaigns.dispatch import message_id_for
from campaigns.dispatch.complaints import ComplaintRate, complaint_rate
from campaigns.models import Campaign, Delivery
from campaigns.receipts import apply_inbound_event
from channels.inbound import Bounce, Complaint, DeliveryReceipt, InboundReply, OptIn, OptOut, registered_handlers

from .conftest import mobile

pytestmark = pytest.mark.django_db
S, D = Campaign.State, Delivery.Status


@pytest.fixture
def sent_email(email_campaign, approve, drive):
    campaign = approve(email_campaign)
    drive()
    return campaign


@pytest.fixture
def sent_sms(valid_sms_campaign, approve, drive):
    campaign = approve(valid_sms_campaign)
    drive()
    return campaign


def _row(campaign, address) -> Delivery:
    return Delivery.objects.get(campaign=campaign, address=address)


def test_the_handler_is_registered_with_channels():
    assert apply_inbound_event in registered_handlers()


def test_a_delivery_receipt_moves_sent_to_delivered_once(sent_sms):
    row = _row(sent_sms, mobile(1))
    receipt = DeliveryReceipt(channel="sms", message_id=message_id_for(row.pk), provider_id="SMx", status="delivered")
    apply_inbound_event(receipt)
    apply_inbound_event(receipt)  # providers retry callbacks
    row.refresh_from_db()
    assert row.status == D.DELIVERED and row.provider_id == "SMx"
    assert AuditEvent.objects.filter(action="receipt.delivered", object_id=str(row.pk)).count() == 1


def test_a_failed_receipt_fails_the_row_with_the_code_and_21610_suppresses(sent_sms):
    filtered, unsubscribed = _row(sent_sms, mobile(2)), _row(sent_sms, mobile(3))
    apply_inbound_event(DeliveryReceipt(channel="sms", message_id=message_id_for(filtered.pk), provider_id="SM2",
                                        status="undelivered", error_code="twilio.30007", permanent=True,
                                        category="carrier_filtered"))
    apply_inbound_event(DeliveryReceipt(channel="sms", message_id=message_id_for(unsubscribed.pk), provider_id="SM3",
                                        status="failed", error_code="twilio.21610", permanent=True,
                                        suppression="opt_out"))
    filtered.refresh_from_db()
    assert (filtered.status, filtered.error_code) == (D.FAILED, "twilio.30007")
    event = AuditEvent.objects.get(action="receipt.failed", object_id=str(filtered.pk))
    assert event.details["category"] == "carrier_filtered"
    assert Suppression.objects.filter(address=mobile(3), channel="sms", reason="opt_out").exists()
    assert not Suppression.objects.filter(address=mobile(2)).exists()


def test_a_receipt_found_by_provider_id_when_the_message_id_is_missing(sent_sms):
    row = _row(sent_sms, mobile(4))
    apply_inbound_event(DeliveryReceipt(channel="sms", message_id="", provider_id=row.provider_id, status="delivered"))
    row.refresh_from_db()
    assert row.status == D.DELIVERED


def test_a_receipt_for_someone_elses_message_changes_nothing(sent_sms):
    apply_inbound_event(DeliveryReceipt(channel="sms", message_id="test-1-0", provider_id="SMzz", status="delivered"))
    assert not Delivery.objects.filter(status=D.DELIVERED).exists()


def test_a_hard_bounce_marks_the_row_bounced_and_suppresses_the_address(sent_email):
    row = _row(sent_email, "c5@example.jp")
    apply_inbound_event(Bounce(message_id=message_id_for(row.pk), address="C5@example.jp", kind="hard",
                               status="5.1.1", diagnostic="550 5.1.1 user unknown", suppression="hard_bounce"))
    row.refresh_from_db()
    assert (row.status, row.error_code) == (D.BOUNCED, "smtp.5.1.1")
    suppression = Suppression.objects.get(address="c5@example.jp")
    assert (suppression.channel, suppression.reason) == ("email", "hard_bounce")
    assert AuditEvent.objects.filter(action="receipt.bounced", object_id=str(row.pk), outcome="hard").exists()


def test_a_policy_bounce_fails_delivery_but_does_not_suppress(sent_email):
    row = _row(sent_email, "c6@example.jp")
    apply_inbound_event(Bounce(message_id=message_id_for(row.pk), address="c6@example.jp", kind="hard",
                               status="5.7.1", diagnostic="blocked by policy"))
    assert Delivery.objects.get(pk=row.pk).status == D.BOUNCED
    assert not Suppression.objects.exists()


def test_repeated_soft_bounces_become_a_suppression(sent_email, settings):
    settings.SOFT_BOUNCE_SUPPRESS_AFTER = 3
    row = _row(sent_email, "c7@example.jp")
    for _ in range(2):
        apply_inbound_event(Bounce(message_id="", address="c7@example.jp", kind="soft", status="4.2.2",
                                   diagnostic="mailbox full"))
    assert not Suppression.objects.exists()
    apply_inbound_event(Bounce(message_id=message_id_for(row.pk), address="c7@example.jp", kind="soft",
                               status="4.2.2", diagnostic="mailbox full"))
    row.refresh_from_db()
    assert row.status == D.SENT and row.error_code == "smtp.4.2.2"  # a soft bounce is not the end of the message
    suppression = Suppression.objects.get(address="c7@example.jp")
    assert suppression.reason == "hard_bounce" and suppression.source == "soft_bounces:3"


def test_a_complaint_suppresses_counts_and_is_counted_once(sent_email):
    row = _row(sent_email, "c8@example.jp")
    complaint = Complaint(message_id=message_id_for(row.pk), address="c8@example.jp")
    apply_inbound_event(complaint)
    apply_inbound_event(complaint)
    assert Suppression.objects.get(address="c8@example.jp").reason == "complaint"
    campaign = Campaign.objects.get(pk=sent_email.pk)
    assert campaign.count_complaints == 1
    assert complaint_rate(campaign) == ComplaintRate(complaints=1, delivered=10)


def test_complaints_above_the_limit_pause_a_sending_campaign_and_say_why(email_campaign, approve, settings,
                                                                           django_capture_on_commit_callbacks):
    from campaigns.dispatch.batch import run_batch
    from campaigns.dispatch.materialise import campaign_start

    settings.COMPLAINT_MIN_SAMPLE = 5
    campaign = approve(email_campaign)
    campaign_start(campaign_id=campaign.pk)
    ids = list(Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True))
    run_batch(campaign.pk, ids[0], ids[5])  # six sent, four still pending: the campaign is sending
    assert Campaign.objects.get(pk=campaign.pk).state == S.SENDING
    with translation.override("en"):  # the reason is written in the installation's language
        apply_inbound_event(Complaint(message_id=message_id_for(ids[0]), address="c0@example.jp"))
    campaign.refresh_from_db()
    assert campaign.state == S.PAUSED
    assert "complaint rate" in campaign.status_reason and "0.3" in campaign.status_reason
    paused = AuditEvent.objects.filter(action="campaign.paused", campaign_id=campaign.pk, actor="system:dispatch")
    assert paused.exists()


@pytest.mark.parametrize(("complaints", "delivered", "level"), [
    (1, 999, ""),  # below the minimum sample: too few to tell
    (1, 1000, ""),  # 0.1 %: not above
    (2, 1000, "warn"),
    (3, 1000, "pause"),
    (0, 5000, ""),
])
def test_complaint_levels(complaints, delivered, level, settings):
    settings.COMPLAINT_MIN_SAMPLE, settings.COMPLAINT_WARN_BP, settings.COMPLAINT_PAUSE_BP = 1000, 10, 30
    assert ComplaintRate(complaints, delivered).level == level


def test_a_stop_reply_in_japanese_suppresses_the_number_and_start_lifts_it(db):
    apply_inbound_event(OptOut(channel="sms", address=mobile(9), keyword="停止", provider_id="SMin1"))
    apply_inbound_event(OptOut(channel="sms", address=mobile(9), keyword="配信停止", provider_id="SMin2"))
    suppression = Suppression.objects.get(address=mobile(9))
    assert (suppression.channel, suppression.reason, suppression.source) == ("sms", "opt_out", "reply:停止")
    events = AuditEvent.objects.filter(action="inbound.opt_out").order_by("id")
    outcomes = list(events.values_list("outcome", flat=True))
    assert outcomes == ["added", "kept"]
    apply_inbound_event(OptIn(channel="sms", address=mobile(9), keyword="START", provider_id="SMin3"))
    assert not Suppression.objects.filter(address=mobile(9)).exists()
    assert AuditEvent.objects.filter(action="inbound.opt_in", outcome="lifted").exists()
    removed = AuditEvent.objects.get(action="suppression.removed", address=mobile(9))
    assert (removed.actor, removed.details["note"]) == ("system:receipts", "inbound START")  # not "anonymous"


def test_start_does_not_lift_a_legal_hold(db):
    suppression_add(channel="sms", address=mobile(8), reason="legal_hold", source="legal")
    apply_inbound_event(OptIn(channel="sms", address=mobile(8), keyword="START"))
    assert Suppression.objects.filter(address=mobile(8), reason="legal_hold").exists()


def test_other_replies_are_kept_in_the_audit_log(db):
    apply_inbound_event(InboundReply(channel="sms", address=mobile(7), text="明日振り込みます"))
    event = AuditEvent.objects.get(action="inbound.reply")
    assert event.details["text"] == "明日振り込みます" and event.address == mobile(7)
