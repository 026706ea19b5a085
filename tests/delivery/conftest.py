"""Delivery fixtures: the campaigns and channels fixtures, a controllable dispatch clock, and helpers
that approve a campaign and run the pipeline in-process (Celery eager) until nothing moves."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from campaigns.dispatch import batch as batch_module
from campaigns.dispatch import clock as dispatch_clock
from campaigns.models import Campaign
from campaigns.services import campaign_approve, campaign_submit
from campaigns.tasks import dispatch_tick
from channels.adapters import get_adapter, memory
from tests.campaigns import conftest as campaigns_fixtures
from tests.campaigns.conftest import customer
from tests.channels import conftest as channels_fixtures

# Fixtures of the apps the pipeline joins, made visible here (pytest collects them as module attributes).
people = campaigns_fixtures.people
email_sender, sms_sender = campaigns_fixtures.email_sender, campaigns_fixtures.sms_sender
make_audience, segment = campaigns_fixtures.make_audience, campaigns_fixtures.segment
email_template, sms_template = campaigns_fixtures.email_template, campaigns_fixtures.sms_template
email_campaign, sms_campaign = campaigns_fixtures.email_campaign, campaigns_fixtures.sms_campaign
dkim_key, smtp_sink, twilio = channels_fixtures.dkim_key, channels_fixtures.smtp_sink, channels_fixtures.twilio
free_port = channels_fixtures.free_port

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def mobile(i: int) -> str:
    """A valid Japanese mobile number (the campaigns fixtures' +8190000000NN do not validate)."""
    return f"+81901234{i:04d}"


@pytest.fixture
def sms_audience(make_audience):
    return make_audience([customer(i, phone=mobile(i)) for i in range(6)])


@pytest.fixture
def valid_sms_campaign(people, sms_template, sms_audience, sms_sender):
    from campaigns.services import campaign_create

    return campaign_create(user=people["author"], name="督促SMS", purpose="collection", template=sms_template,
                           segment=sms_audience, sender=sms_sender)


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


@pytest.fixture(autouse=True)
def clock():
    """Every in-process delivery test runs on the fake clock (a weekday, 10:00 Tokyo), so none depends
    on the hour the suite happens to run at (the send window)."""
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

    def grant(audience, emails, channel: str = "email") -> None:
        for recipient in segment_recipients(audience).filter(email__in=emails):
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
    """Run ticks (and every task they queue, eagerly) until a round changes nothing — or, when ``advance``
    seconds pass on the dispatch clock between rounds, until no row is pending or sending. Returns the
    number of rounds."""

    def run(*, rounds: int = 10, advance: float = 0) -> int:
        for n in range(1, rounds + 1):
            before = _snapshot()
            with django_capture_on_commit_callbacks(execute=True):
                dispatch_tick()
            clock.advance(advance)
            after = _snapshot()
            if after == before and not (advance and _open_rows()):
                return n
        return rounds

    return run


def _open_rows() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM campaigns_delivery WHERE status IN ('pending', 'sending') LIMIT 1")
        return cursor.fetchone() is not None


def _snapshot() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, COUNT(*) FROM campaigns_delivery GROUP BY status ORDER BY status")
        rows = tuple(cursor.fetchall())
        cursor.execute("SELECT id, state FROM campaigns_campaign ORDER BY id")
        return rows + tuple(cursor.fetchall())


@pytest.fixture
def hook_adapter(monkeypatch):
    """``hook_adapter(before=None, after=None)``: wrap the adapters dispatch uses; ``before(messages, calls)``
    runs before each real send_many (may raise or sleep), ``after(messages, calls)`` right after it.
    Returns ``calls``, the sizes of the chunks handed to the adapter so far."""

    def install(*, before=None, after=None):
        calls = []

        class Hooked:
            def __init__(self, channel):
                self.inner = get_adapter(channel)

            def __enter__(self):
                self.inner.__enter__()
                return self

            def __exit__(self, *exc):
                self.inner.__exit__(*exc)

            def send_many(self, messages):
                calls.append(len(messages))
                if before:
                    before(messages, calls)
                results = self.inner.send_many(messages)
                if after:
                    after(messages, calls)
                return results

        monkeypatch.setattr(batch_module, "get_adapter", Hooked)
        return calls

    return install
