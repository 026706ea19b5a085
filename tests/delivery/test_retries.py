"""Failures at send time: transient ones retry with backoff up to a limit, permanent ones fail the row with
the provider's code, and the ones about the address add a suppression."""

from __future__ import annotations

import pytest

from audiences.models import Suppression
from audit.models import AuditEvent
from campaigns.dispatch.results import backoff_s
from campaigns.models import Campaign, Delivery
from channels.adapters import memory

from .conftest import mobile

pytestmark = pytest.mark.django_db
D = Delivery.Status


def _row(address: str) -> Delivery:
    return Delivery.objects.get(address=address)


def test_a_transient_failure_is_retried_after_a_backoff_and_then_sent(email_campaign, approve, drive, clock):
    memory.fail_for("c1@example.jp", code="smtp.4.2.1", permanent=False, times=2)
    campaign = approve(email_campaign)
    drive()
    row = _row("c1@example.jp")
    assert row.status == D.PENDING and row.attempts == 1 and row.error_code == "smtp.4.2.1"
    assert row.available_at is not None and row.available_at > clock.moment
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SENDING
    drive(rounds=30, advance=60)  # time passes: the retries come due, the second one succeeds
    row.refresh_from_db()
    assert row.status == D.SENT and row.attempts == 3 and row.error_code == ""
    actions = list(AuditEvent.objects.filter(object_id=str(row.pk), object_type="campaigns.delivery")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["send.deferred", "send.deferred", "send.sent"]
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.COMPLETED
    assert [m.to for m in memory.sent()].count("c1@example.jp") == 1


def test_transient_failures_stop_at_the_attempt_limit(email_campaign, approve, drive, settings):
    settings.SEND_MAX_ATTEMPTS = 3
    memory.fail_for("c2@example.jp", code="http.503", permanent=False)
    approve(email_campaign)
    drive(rounds=40, advance=120)
    row = _row("c2@example.jp")
    assert row.status == D.FAILED and row.attempts == 3 and row.error_code == "http.503"
    event = AuditEvent.objects.filter(object_id=str(row.pk), action="send.failed").get()
    assert event.details["gave_up_after"] == 3


def test_a_permanent_failure_fails_the_row_with_the_providers_code(sms_campaign, approve, drive):
    memory.fail_for("+819000000003", code="twilio.21211", permanent=True)
    approve(sms_campaign)
    drive()
    row = _row("+819000000003")
    assert (row.status, row.error_code, row.attempts) == (D.FAILED, "twilio.21211", 1)
    assert not Suppression.objects.exists()


def test_a_hard_bounce_at_send_time_suppresses_the_address(email_campaign, approve, drive):
    memory.fail_for("c4@example.jp", code="smtp.5.1.1", permanent=True, suppression="hard_bounce")
    approve(email_campaign)
    drive()
    assert _row("c4@example.jp").status == D.FAILED
    suppression = Suppression.objects.get(address="c4@example.jp")
    assert (suppression.channel, suppression.reason) == ("email", "hard_bounce")
    assert AuditEvent.objects.filter(action="suppression.added", address="c4@example.jp").exists()


def test_an_unsubscribed_number_21610_adds_an_sms_opt_out(valid_sms_campaign, approve, drive):
    memory.fail_for(mobile(5), code="twilio.21610", permanent=True, suppression="opt_out")
    approve(valid_sms_campaign)
    drive()
    assert _row(mobile(5)).error_code == "twilio.21610"
    suppression = Suppression.objects.get(address=mobile(5))
    assert (suppression.channel, suppression.reason) == ("sms", "opt_out")


def test_a_render_error_fails_only_that_recipient(people, make_audience, email_template, email_sender, approve,
                                                  drive):
    from campaigns.services import campaign_create

    from .conftest import customer

    segment = make_audience([customer(0), customer(1)])
    campaign = approve(campaign_create(user=people["author"], name="c", purpose="notice", template=email_template,
                                       segment=segment, sender=email_sender))
    # an attribute disappears between approval and sending (a re-import)
    from audiences.models import Recipient

    Recipient.objects.filter(email="c1@example.jp").update(attributes={"due": "2026-11-25"})
    drive()
    rows = {d.address: (d.status, d.error_code) for d in Delivery.objects.filter(campaign=campaign)}
    assert rows == {"c0@example.jp": (D.SENT, ""), "c1@example.jp": (D.FAILED, "template.undefined_field")}


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8])
def test_backoff_grows_exponentially_with_jitter_and_respects_retry_after(attempt, settings):
    settings.SEND_RETRY_BASE_S, settings.SEND_RETRY_MAX_S = 10, 300
    ceiling = min(300, 10 * 2 ** (attempt - 1))
    waits = {backoff_s(attempt) for _ in range(50)}
    assert all(ceiling / 2 <= w <= ceiling for w in waits) and len(waits) > 1
    assert backoff_s(attempt, retry_after=299) >= 299
