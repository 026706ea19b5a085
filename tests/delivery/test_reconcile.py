"""Crash safety in-process: rows left ``sending`` by a dead worker are reconciled after their lease and sent
again under the same delivery id; a receipt that proves the first copy arrived settles the row instead;
stalled work is swept up."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.models import AuditEvent
from campaigns.dispatch import clock as dispatch_clock
from campaigns.dispatch import message_id_for
from campaigns.dispatch.claim import claim
from campaigns.dispatch.fanout import fan_out
from campaigns.dispatch.materialise import campaign_start
from campaigns.dispatch.reconcile import reconcile_expired_leases
from campaigns.models import Campaign, Delivery
from campaigns.receipts import apply_inbound_event
from channels.adapters import memory
from channels.inbound import DeliveryReceipt

pytestmark = pytest.mark.django_db
S, D = Campaign.State, Delivery.Status


def _crash_mid_batch(campaign, clock, settings) -> list[int]:
    """A worker claimed the campaign's rows and died before writing any result."""
    now = dispatch_clock.now()
    ids = Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
    return claim(campaign.pk, ids[0], ids[len(ids) - 1], limit=100, now=now,
                 lease_until=now + dt.timedelta(seconds=settings.SEND_LEASE_S))


def test_rows_past_their_lease_are_requeued_and_resent_with_the_same_delivery_id(
        email_campaign, approve, drive, clock, settings, django_capture_on_commit_callbacks):
    settings.SEND_LEASE_S = 60
    campaign = approve(email_campaign)
    campaign_start(campaign_id=campaign.pk)
    claimed = _crash_mid_batch(campaign, clock, settings)
    assert len(claimed) == 10
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_expired_leases() == 0  # still within the lease: a live worker may be sending
    clock.advance(61)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_expired_leases() == 10
    assert {d.status for d in Delivery.objects.filter(campaign=campaign)} == {D.SENT}
    assert sorted(m.message_id for m in memory.sent()) == sorted(message_id_for(i) for i in claimed)
    event = AuditEvent.objects.filter(action="send.reconciled", object_id=str(claimed[0])).get()
    assert event.details["resend"] == "same delivery id" and event.outcome == "pending"
    assert Delivery.objects.get(pk=claimed[0]).attempts == 2
    drive()
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED


def test_a_receipt_for_a_row_in_doubt_settles_it_and_it_is_not_sent_again(
        valid_sms_campaign, approve, drive, clock, settings, django_capture_on_commit_callbacks):
    settings.SEND_LEASE_S = 60
    campaign = approve(valid_sms_campaign)
    campaign_start(campaign_id=campaign.pk)
    claimed = _crash_mid_batch(campaign, clock, settings)
    # The provider had accepted the first message before the worker died and calls back.
    apply_inbound_event(DeliveryReceipt(channel="sms", message_id=message_id_for(claimed[0]), provider_id="SM1",
                                        status="sent"))
    apply_inbound_event(DeliveryReceipt(channel="sms", message_id=message_id_for(claimed[1]), provider_id="SM2",
                                        status="delivered"))
    clock.advance(61)
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_expired_leases()
    drive()
    statuses = {d.pk: d.status for d in Delivery.objects.filter(campaign=campaign)}
    assert statuses[claimed[0]] == D.SENT and statuses[claimed[1]] == D.DELIVERED
    resent = {m.message_id for m in memory.sent()}
    assert message_id_for(claimed[0]) not in resent and message_id_for(claimed[1]) not in resent
    assert len(resent) == len(claimed) - 2
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED


def test_a_row_that_keeps_killing_its_worker_fails_instead_of_looping(email_campaign, approve, clock, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.SEND_LEASE_S, settings.SEND_MAX_ATTEMPTS = 60, 2
    campaign = approve(email_campaign)
    campaign_start(campaign_id=campaign.pk)
    for _ in range(2):
        _crash_mid_batch(campaign, clock, settings)
        clock.advance(61)
        with django_capture_on_commit_callbacks(execute=False):
            reconcile_expired_leases()
    rows = Delivery.objects.filter(campaign=campaign)
    assert set(rows.values_list("status", "error_code")) == {(D.FAILED, "send.lease_expired")}
    assert not memory.sent()


def test_lost_batch_tasks_are_swept_up_when_the_campaign_stalls(email_campaign, approve, drive, clock, settings,
                                                                django_capture_on_commit_callbacks):
    settings.SEND_STALL_S = 30
    campaign = approve(email_campaign)
    with django_capture_on_commit_callbacks(execute=False) as lost:  # the fan-out's tasks are lost
        campaign_start(campaign_id=campaign.pk)
        fan_out(campaign.pk)
    assert len(lost) == 1
    drive(rounds=2)
    assert not memory.sent()  # not yet: the batches may only be late
    clock.advance(31)
    drive()
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED and len(memory.sent()) == 10
