"""People steering a sending campaign: pause, resume and cancel take effect within one chunk; a pilot
sends N % until the rest is released."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from campaigns.models import Campaign, Delivery
from campaigns.services import campaign_cancel, campaign_create, campaign_pause, campaign_release, campaign_resume
from channels.adapters import memory

from .conftest import customer

pytestmark = pytest.mark.django_db
S, D = Campaign.State, Delivery.Status


@pytest.fixture
def after_first_chunk(hook_adapter):
    """``after_first_chunk(action)``: run ``action()`` right after the adapter's first send_many."""

    def install(action):
        return hook_adapter(after=lambda messages, calls: action() if len(calls) == 1 else None)

    return install


def test_pause_stops_sending_within_one_chunk_and_resume_sends_the_rest(email_campaign, approve, drive, people,
                                                                        settings, after_first_chunk):
    settings.SEND_CHUNK_SIZE = 3
    campaign = approve(email_campaign)
    calls = after_first_chunk(lambda: campaign_pause(campaign=campaign, user=people["approver"], reason="確認のため"))
    drive()
    assert len(calls) == 1 and 1 <= calls[0] <= 3  # one chunk (or what the campaign's throttle granted of it)
    assert len(memory.sent()) == calls[0]
    campaign.refresh_from_db()
    assert campaign.state == S.PAUSED and campaign.needs_fanout
    assert Delivery.objects.filter(campaign=campaign, status=D.PENDING).count() == 10 - calls[0]
    assert not Delivery.objects.filter(campaign=campaign, status=D.SENDING).exists()
    # released rows were not attempted
    assert set(Delivery.objects.filter(campaign=campaign, status=D.PENDING).values_list("attempts", flat=True)) == {0}

    campaign_resume(campaign=campaign, user=people["approver"])
    drive()
    campaign.refresh_from_db()
    assert campaign.state == S.COMPLETED
    assert sorted(m.to for m in memory.sent()) == sorted(f"c{i}@example.jp" for i in range(10))


def test_cancel_stops_sending_and_the_rest_is_skipped_as_cancelled(email_campaign, approve, drive, people, settings,
                                                                   after_first_chunk):
    settings.SEND_CHUNK_SIZE = 4
    campaign = approve(email_campaign)
    calls = after_first_chunk(lambda: campaign_cancel(campaign=campaign, user=people["author"], reason="誤配信の疑い"))
    drive()
    assert len(calls) == 1 and len(memory.sent()) == calls[0] <= 4
    rows = Delivery.objects.filter(campaign=campaign)
    assert rows.filter(status=D.SENT).count() == calls[0]
    assert rows.filter(status=D.SKIPPED, skip_reason="cancelled").count() == 10 - calls[0]
    assert not rows.filter(status__in=(D.PENDING, D.SENDING)).exists()
    skipped_ids = {str(i) for i in rows.filter(status=D.SKIPPED).values_list("id", flat=True)}
    audited = set(AuditEvent.objects.filter(action="send.skipped", object_id__in=skipped_ids)
                  .values_list("object_id", flat=True))
    assert audited == skipped_ids
    assert Campaign.objects.get(pk=campaign.pk).count_skipped == 10 - calls[0]


def test_a_pilot_sends_its_share_and_waits_for_the_release(people, make_audience, email_template, email_sender,
                                                           approve, drive):
    segment = make_audience([customer(i) for i in range(20)] + [customer(99, email="")])
    campaign = approve(campaign_create(user=people["author"], name="pilot", purpose="notice", template=email_template,
                                       segment=segment, sender=email_sender, pilot_percentage=10))
    drive()
    campaign.refresh_from_db()
    assert campaign.state == S.SENDING  # waiting for the release, not completed
    assert len(memory.sent()) == 2  # 10 % of 20 sendable
    assert Delivery.objects.filter(campaign=campaign, status=D.SKIPPED, skip_reason="no_contact").count() == 1
    pilot = {m.to for m in memory.sent()}

    campaign_release(campaign=campaign, user=people["author"])
    drive()
    campaign.refresh_from_db()
    assert campaign.state == S.COMPLETED
    sent = [m.to for m in memory.sent()]
    assert len(sent) == 20 == len(set(sent)) and pilot <= set(sent)
    assert AuditEvent.objects.filter(action="campaign.rest_materialised", campaign_id=campaign.pk).exists()


def test_a_pilot_released_before_the_start_goes_out_in_one_go(people, make_audience, email_template, email_sender,
                                                             approve, drive):
    segment = make_audience([customer(i) for i in range(5)])
    campaign = approve(campaign_create(user=people["author"], name="pilot", purpose="notice", template=email_template,
                                       segment=segment, sender=email_sender, pilot_percentage=50))
    campaign_release(campaign=campaign, user=people["author"])
    drive()
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED and len(memory.sent()) == 5


def test_a_resume_fans_out_at_the_next_tick_even_if_no_batch_saw_the_pause(
        email_campaign, approve, people, clock, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from campaigns.dispatch.fanout import fan_out
    from campaigns.dispatch.materialise import campaign_start
    from campaigns.services import campaign_update
    from campaigns.tasks import dispatch_tick

    # The lifecycle stamps state changes with the real time: run dispatch on it too, any hour of the day.
    clock.moment = timezone.now()
    campaign_update(campaign=email_campaign, user=people["author"], window_start_hour=0, window_end_hour=24)
    campaign = approve(Campaign.objects.get(pk=email_campaign.pk))
    with django_capture_on_commit_callbacks(execute=False):  # started, but its batches never ran
        campaign_start(campaign_id=campaign.pk)
        fan_out(campaign.pk)
    campaign_pause(campaign=campaign, user=people["approver"])
    campaign_resume(campaign=campaign, user=people["approver"])
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_tick()
    assert len(memory.sent()) == 10
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED
