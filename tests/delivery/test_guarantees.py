"""What issue 8 asks of the pipeline, in-process: a soft time limit stops a batch instead of becoming a
transient error, the lease is renewed while the adapter works, a delivery that keeps killing its worker
is parked (and sent alone before that), and neither a stopped worker nor a pause moves a campaign on
further than what was really sent."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from audit.models import AuditEvent
from campaigns.dispatch import clock as dispatch_clock
from campaigns.dispatch.batch import run_batch
from campaigns.dispatch.claim import claim
from campaigns.dispatch.materialise import campaign_start
from campaigns.dispatch.reconcile import POISON_CODE, deaths, reconcile_expired_leases
from campaigns.models import Campaign, Delivery
from campaigns.permissions import grant_approve_permission
from campaigns.services import campaign_create, campaign_pause, campaign_resume
from channels.adapters import memory
from channels.adapters.base import Adapter, OutgoingMessage

from .conftest import customer

pytestmark = pytest.mark.django_db
S, D = Campaign.State, Delivery.Status


def _message(i: int = 1) -> OutgoingMessage:
    return OutgoingMessage(message_id=f"nc-{i}", channel="email", to=f"x{i}@example.jp", text="hi")


def test_a_soft_time_limit_is_not_turned_into_a_transient_error():
    class Slow(Adapter):
        def _send_one(self, message):
            raise SoftTimeLimitExceeded()

    class Broken(Adapter):
        def _send_one(self, message):
            raise RuntimeError("a bug")

    with pytest.raises(SoftTimeLimitExceeded):
        Slow().send_many([_message()])
    [result] = Broken().send_many([_message()])  # an ordinary exception still is one message's problem
    assert result.transient and result.error_code == "adapter.error"


def test_the_smtp_adapter_lets_a_soft_time_limit_through(monkeypatch):
    from channels.adapters.smtp import SmtpAdapter

    adapter = SmtpAdapter.__new__(SmtpAdapter)
    adapter._conn = None
    monkeypatch.setattr(adapter, "_send_one", lambda message: (_ for _ in ()).throw(SoftTimeLimitExceeded()))
    with pytest.raises(SoftTimeLimitExceeded):
        adapter._send_guarded(_message())


@pytest.fixture
def adapter_hook(hook_adapter):
    """``adapter_hook(fn)``: ``fn(messages, calls)`` runs before each real send_many (may raise or sleep)."""
    return lambda fn: hook_adapter(before=fn)


def _range(campaign) -> tuple[int, int]:
    ids = list(Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True))
    return ids[0], ids[-1]


def test_a_batch_stopped_by_its_time_limit_releases_untried_rows_and_the_campaign_is_not_finished(
        email_campaign, approve, drive, settings, adapter_hook, clock, django_capture_on_commit_callbacks):
    """A worker that stops mid-batch (time limit, shutdown) never completes the campaign: the chunk in
    flight stays ``sending`` until its lease runs out, the untried rows are ``pending`` again, and the
    campaign finishes only once every row was really sent."""
    settings.SEND_CHUNK_SIZE, settings.SEND_LEASE_S = 3, 60

    def stop_at_second_chunk(messages, calls):
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()

    calls = adapter_hook(stop_at_second_chunk)
    campaign = approve(email_campaign)
    campaign_start(campaign_id=campaign.pk)
    with pytest.raises(SoftTimeLimitExceeded):
        run_batch(campaign.pk, *_range(campaign))
    first, second = calls  # a chunk each, or what the campaign's throttle granted of it
    statuses = list(Delivery.objects.filter(campaign=campaign).order_by("id").values_list("status", flat=True))
    assert statuses == [D.SENT] * first + [D.SENDING] * second + [D.PENDING] * (10 - first - second)
    assert len(memory.sent()) == first
    pending = Delivery.objects.filter(campaign=campaign, status=D.PENDING)
    assert set(pending.values_list("attempts", flat=True)) == {0}  # released untried: no attempt counted
    drive(rounds=3)
    campaign.refresh_from_db()
    assert campaign.state == S.SENDING  # rows are still in doubt: not completed
    clock.advance(61)
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_expired_leases()
    drive(advance=31)  # the untried rows' task is gone with the worker: the stall sweep picks them up
    campaign.refresh_from_db()
    assert campaign.state == S.COMPLETED and campaign.count_sent == 10
    assert sorted(m.to for m in memory.sent()) == sorted(f"c{i}@example.jp" for i in range(10))


@pytest.mark.django_db(transaction=True)
def test_the_lease_is_renewed_while_the_adapter_is_slow(people, make_audience, email_template, email_sender, approve,
                                                      settings, adapter_hook):
    """A chunk that takes longer than its lease (a provider stalling up to its timeout) is not
    reconciled meanwhile: a heartbeat renews the lease of every row the batch holds."""
    dispatch_clock.set_clock(None)  # the heartbeat runs on real time
    settings.SEND_LEASE_S, settings.SEND_CHUNK_SIZE = 2, 5
    seen = []

    def slow_first_chunk(messages, calls):
        if len(calls) == 1:
            time.sleep(2.6)  # longer than the lease
            seen.append(reconcile_expired_leases())  # what a reconciler would do right now

    adapter_hook(slow_first_chunk)
    grant_approve_permission()  # a transactional test's flush removed what the data migration granted
    segment = make_audience([customer(i, email=f"slow{i}@example.jp") for i in range(10)])
    campaign = approve(campaign_create(user=people["author"], name="slow", purpose="notice", template=email_template,
                                       segment=segment, sender=email_sender, throttle_per_s=1000,
                                       window_start_hour=0, window_end_hour=24))  # real time: any hour
    campaign_start(campaign_id=campaign.pk)
    run_batch(campaign.pk, *_range(campaign))
    assert seen == [0]
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {D.SENT}
    assert len(memory.sent()) == 10 and not AuditEvent.objects.filter(action="send.reconciled").exists()


def _die_holding(campaign, settings, ids=None) -> list[int]:
    """A worker claims the rows (all, or ``ids``) and dies before writing anything."""
    now = dispatch_clock.now()
    first, last = (min(ids), max(ids)) if ids else _range(campaign)
    return claim(campaign.pk, first, last, limit=1000, now=now,
                 lease_until=now + dt.timedelta(seconds=settings.SEND_LEASE_S))


def test_a_delivery_that_killed_its_worker_n_times_is_parked_and_its_neighbours_are_sent(
        email_campaign, approve, settings, clock, django_capture_on_commit_callbacks, caplog):
    settings.SEND_LEASE_S, settings.SEND_POISON_DEATHS, settings.SEND_MAX_ATTEMPTS = 60, 3, 10
    campaign = approve(email_campaign)
    campaign_start(campaign_id=campaign.pk)
    rows = list(Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True))
    poison = rows[4]

    # Death 1: the whole batch dies; everyone goes back, in the usual batches.
    _die_holding(campaign, settings)
    clock.advance(61)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert reconcile_expired_leases() == 10
    assert len(queued) == 1  # one range over the ten
    # Death 2: the same batch dies again; now every row that died twice is sent in a batch of its own.
    _die_holding(campaign, settings)
    clock.advance(61)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert reconcile_expired_leases() == 10
    assert deaths(rows) == dict.fromkeys(rows, 2)
    # The single batches: everyone but the poison row is sent; the poison one kills its worker a third time.
    for row_id in rows:
        if row_id == poison:
            _die_holding(campaign, settings, [row_id])
        else:
            run_batch(campaign.pk, row_id, row_id)
    # Only deaths while it is sent alone count towards parking (a whole batch dying says nothing about one
    # row): alone, it dies three times; the first two it is handed out alone again, the third parks it.
    for alone in (1, 2, 3):
        if alone > 1:
            _die_holding(campaign, settings, [poison])
        clock.advance(61)
        with (caplog.at_level("ERROR", logger="campaigns.dispatch.reconcile"),
              django_capture_on_commit_callbacks(execute=False) as queued):
            assert reconcile_expired_leases() == 1
        assert len(queued) == (1 if alone < 3 else 0)  # parked: not handed out again
    parked = Delivery.objects.get(pk=poison)
    assert (parked.status, parked.error_code) == (D.FAILED, POISON_CODE)
    assert Delivery.objects.filter(campaign=campaign, status=D.SENT).count() == 9
    event = AuditEvent.objects.get(action="send.parked", object_id=str(poison))
    assert event.details["worker_deaths"] == 5 and event.details["isolated"] and event.outcome == "failed"
    assert "parked 1 deliveries" in caplog.text


def test_pause_then_resume_sends_each_recipient_once_and_progress_is_what_was_sent(
        email_campaign, approve, drive, people, settings, adapter_hook):
    """Rows a batch had claimed (fetched) but not sent count for nothing: the counters and the rows'
    state move only when a message is sent, and the resume carries on from the database."""
    settings.SEND_CHUNK_SIZE = 4
    campaign = approve(email_campaign)
    snapshot = {}

    def pause_after_first(messages, calls):
        if len(calls) == 1:
            # Claimed: all ten; handed to the adapter: one chunk. Nothing was sent yet.
            snapshot["sent_before"] = Delivery.objects.filter(campaign=campaign, status=D.SENT).count()
            snapshot["claimed"] = Delivery.objects.filter(campaign=campaign, status=D.SENDING).count()
            campaign_pause(campaign=campaign, user=people["approver"], reason="確認")

    calls = adapter_hook(pause_after_first)
    drive()
    campaign.refresh_from_db()
    assert snapshot == {"sent_before": 0, "claimed": 10}
    assert campaign.state == S.PAUSED
    first_chunk = calls[0]  # a chunk, or what the campaign's throttle granted of it
    assert Delivery.objects.filter(campaign=campaign, status=D.SENT).count() == first_chunk
    assert Delivery.objects.filter(campaign=campaign, status=D.PENDING).count() == 10 - first_chunk
    assert campaign.count_sent in (0, first_chunk)  # counters are only ever what the rows say
    campaign_resume(campaign=campaign, user=people["approver"])
    drive()
    campaign.refresh_from_db()
    assert campaign.state == S.COMPLETED and campaign.count_sent == 10
    tos = [m.to for m in memory.sent()]
    assert sorted(tos) == sorted(f"c{i}@example.jp" for i in range(10)) and len(set(tos)) == 10


def test_rows_whose_task_was_lost_are_swept_up_while_the_campaign_keeps_moving(
        email_campaign, approve, drive, clock, settings, django_capture_on_commit_callbacks):
    """Other batches keep the campaign busy (no stall), yet rows whose task died with a worker (a reserved
    task, a retry's countdown) go out within SWEEP_EVERY_STALLS × SEND_STALL_S, not at the very end."""
    from campaigns.dispatch.fanout import fan_out
    from campaigns.dispatch.tick import SWEEP_EVERY_STALLS

    settings.SEND_STALL_S = 10
    campaign = approve(email_campaign)
    with django_capture_on_commit_callbacks(execute=False) as lost:
        campaign_start(campaign_id=campaign.pk)
        fan_out(campaign.pk)
    assert lost
    for _ in range(SWEEP_EVERY_STALLS - 1):
        clock.advance(10)
        Campaign.objects.filter(pk=campaign.pk).update(last_progress_at=clock.moment)  # busy elsewhere
        drive(rounds=1)
        assert not memory.sent()
    clock.advance(10)
    Campaign.objects.filter(pk=campaign.pk).update(last_progress_at=clock.moment)
    drive()
    assert len(memory.sent()) == 10
