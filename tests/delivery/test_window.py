"""The send window, checked at the moment of sending: a collection campaign that runs past 21:00 Tokyo
stops and waits for 08:00; work outside any campaign's window waits for its next opening."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.dispatch.batch import window_open
from campaigns.models import Campaign, Delivery
from campaigns.services import campaign_create
from channels.adapters import memory

from .conftest import TOKYO, customer, mobile

pytestmark = pytest.mark.django_db
S, D = Campaign.State, Delivery.Status


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(TOKYO)


def test_a_collection_campaign_running_past_21_stops_until_08(people, make_audience, sms_template, sms_sender,
                                                             approve, drive, clock, settings):
    settings.SEND_CHUNK_SIZE = 2
    segment = make_audience([customer(i, phone=mobile(i)) for i in range(12)])
    campaign = approve(campaign_create(user=people["author"], name="督促", purpose="collection",
                                       template=sms_template, segment=segment, sender=sms_sender))
    clock.set(20, 59)
    clock.step = dt.timedelta(seconds=7)  # time passes while the batch works
    drive(rounds=3)
    sent_evening = Delivery.objects.filter(campaign=campaign, status=D.SENT)
    assert 0 < sent_evening.count() < 12, "the campaign should have been cut off by 21:00"
    assert all(_local(d.sent_at).hour == 20 for d in sent_evening)
    assert len(memory.sent()) == sent_evening.count()
    campaign.refresh_from_db()
    assert campaign.state == S.SENDING and campaign.needs_fanout

    clock.step = dt.timedelta(0)
    for hour in (21, 23, 3, 7):  # the night: nothing goes out, whatever the ticks do
        clock.set(hour, 30, day=24 if hour >= 21 else 25)
        drive(rounds=2)
    assert len(memory.sent()) == sent_evening.count()

    clock.set(8, 0, day=25)
    drive()
    campaign.refresh_from_db()
    assert campaign.state == S.COMPLETED and len(memory.sent()) == 12
    morning = Delivery.objects.filter(campaign=campaign, sent_at__gte=clock.moment - dt.timedelta(minutes=1))
    assert morning.count() == 12 - sent_evening.count()
    assert all(_local(d.sent_at).hour == 8 for d in morning)


def test_a_campaign_approved_at_night_waits_for_its_window(email_campaign, approve, drive, clock):
    clock.set(22, 15)
    campaign = approve(email_campaign)
    drive()
    campaign.refresh_from_db()
    assert campaign.state == S.SENDING and not memory.sent()
    assert Delivery.objects.filter(campaign=campaign, status=D.PENDING).count() == 10
    clock.set(8, 0, day=25)
    drive()
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED and len(memory.sent()) == 10


def test_the_collection_hours_hold_whatever_the_campaign_window_says(email_campaign, people):
    campaign = Campaign(purpose="collection", window_start_hour=0, window_end_hour=24, window_tz="Asia/Tokyo",
                        window_weekdays=list(range(7)))
    assert not window_open(campaign, dt.datetime(2026, 11, 24, 21, 0, tzinfo=TOKYO))
    assert not window_open(campaign, dt.datetime(2026, 11, 24, 7, 59, tzinfo=TOKYO))
    assert window_open(campaign, dt.datetime(2026, 11, 24, 8, 0, tzinfo=TOKYO))
    notice = Campaign(purpose="notice", window_start_hour=0, window_end_hour=24, window_tz="Asia/Tokyo",
                      window_weekdays=[0, 1, 2, 3, 4])
    assert window_open(notice, dt.datetime(2026, 11, 24, 23, 0, tzinfo=TOKYO))  # a Tuesday
    assert not window_open(notice, dt.datetime(2026, 11, 28, 12, 0, tzinfo=TOKYO))  # a Saturday
