"""Delivery fixtures: the campaigns and channels fixtures, a controllable dispatch clock, and helpers
that approve a campaign and run the pipeline in-process (Celery eager) until nothing moves."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from campaigns.dispatch import clock as dispatch_clock
from campaigns.models import Campaign
from campaigns.services import campaign_approve, campaign_submit
from campaigns.tasks import dispatch_tick
from channels.adapters import memory

# Shared fixtures of the apps the pipeline joins (imported, so pytest sees them here).
from tests.campaigns.conftest import (  # noqa: F401
    customer,
    email_campaign,
    email_sender,
    email_template,
    make_audience,
    people,
    segment,
    sms_campaign,
    sms_sender,
    sms_template,
)
from tests.channels.conftest import dkim_key, free_port, smtp_sink, tls_cert, twilio  # noqa: F401

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


class FakeClock:
    """The dispatch clock, frozen until moved: ``clock.set(20, 50)`` (Tokyo time), ``clock.advance(s)``."""

    def __init__(self) -> None:
        self.moment = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
        self.step = dt.timedelta(0)  # added after every reading (time passing while a batch runs)

    def __call__(self) -> dt.datetime:
        value = self.moment
        self.moment += self.step
        return value

    def set(self, hour: int, minute: int = 0, *, day: int = 24) -> None:
        self.moment = dt.datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)

    def advance(self, seconds: float) -> None:
        self.moment += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    fake = FakeClock()
    dispatch_clock.set_clock(fake)
    yield fake
    dispatch_clock.set_clock(None)


@pytest.fixture(autouse=True)
def _memory_adapters(settings):
    """Unless a test says otherwise, both channels go to the in-memory adapter."""
    settings.EMAIL_SETTINGS = {"backend": "memory"}
    settings.SMS_BACKEND = "memory"
    settings.SEND_RETRY_BASE_S = 10
    memory.reset()
    yield
    memory.reset()


@pytest.fixture
def marketing_template(people):
    from campaigns.services import template_create
    from tests.campaigns.conftest import MARKETING_TEXT

    return template_create(user=people["author"], name="秋のご案内", channel="email", subject="秋のキャンペーン",
                           text=MARKETING_TEXT)


@pytest.fixture
def consent(db):
    """``consent(segment, [emails])``: those recipients agreed to marketing email."""
    from audiences.selectors import segment_recipients
    from audiences.services import consent_grant

    def grant(segment, emails, channel: str = "email") -> None:
        for recipient in segment_recipients(segment).filter(email__in=emails):
            consent_grant(recipient=recipient, channel=channel, source="web form", wording="配信に同意します")

    return grant


@pytest.fixture
def approve(people):
    def run(campaign: Campaign) -> Campaign:
        campaign = campaign_submit(campaign=campaign, user=people["author"])
        return campaign_approve(campaign=campaign, user=people["approver"], seen_hash=campaign.content_hash)

    return run


@pytest.fixture
def drive(django_capture_on_commit_callbacks, clock):
    """Run ticks (and every task they queue, eagerly) until a round changes nothing; ``advance`` seconds
    pass on the dispatch clock between rounds. Returns the number of rounds."""

    def run(*, rounds: int = 10, advance: float = 0) -> int:
        for n in range(1, rounds + 1):
            before = _snapshot()
            with django_capture_on_commit_callbacks(execute=True):
                dispatch_tick()
            clock.advance(advance)
            if _snapshot() == before:
                return n
        return rounds

    return run


def _snapshot() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, COUNT(*) FROM campaigns_delivery GROUP BY status ORDER BY status")
        rows = tuple(cursor.fetchall())
        cursor.execute("SELECT id, state FROM campaigns_campaign ORDER BY id")
        return rows + tuple(cursor.fetchall())
