"""The poison-message guard with a real Celery worker: one recipient's message ends the worker process
every time it is sent (``os._exit`` in the memory adapter, as a crashing library or the OOM killer would).
The worker comes back each time (the pool replaces its child), the message is not handed out for ever:
after it died twice with its batch it is sent alone, and after ``SEND_POISON_DEATHS`` deaths ALONE its row
is parked (``failed``, ``send.poison``) with an audit event, and every other recipient is sent once — the
campaign completes. Rows that only ever die with their whole batch (deploys, the OOM killer) are never
parked for it."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.models import AuditEvent
from campaigns.dispatch import clock as dispatch_clock
from campaigns.dispatch.batch import run_batch
from campaigns.dispatch.claim import SUSPECT, claim
from campaigns.dispatch.reconcile import POISON_CODE, reconcile_expired_leases
from campaigns.models import Campaign, Delivery
from campaigns.permissions import grant_approve_permission
from campaigns.services import campaign_create

from .conftest import customer
from .test_crash import _beat, _kill, _start_worker, _stderr
from .test_crash import worker_env as worker_env  # a fixture

pytestmark = [pytest.mark.django_db(transaction=True)]
RECIPIENTS = 12


def test_a_message_that_kills_its_worker_is_parked_after_n_deaths_and_the_rest_is_sent(
        worker_env, people, make_audience, email_template, email_sender, approve, settings, monkeypatch):
    env, _ = worker_env
    poison = "poison4@example.jp"
    env.update({"EMAIL_URL": "memory://", "MEMORY_ADAPTER_EXIT_ON": poison, "SEND_LEASE_S": "2",
                "SEND_POISON_DEATHS": "3", "SEND_MAX_ATTEMPTS": "10"})
    monkeypatch.setattr(settings, "SEND_LEASE_S", 2)  # this process reconciles: the same lease as the worker's
    monkeypatch.setattr(settings, "SEND_POISON_DEATHS", 3)
    monkeypatch.setattr(settings, "SEND_MAX_ATTEMPTS", 10)
    grant_approve_permission()
    emails = [poison if i == 4 else f"poison{i}@example.jp" for i in range(RECIPIENTS)]
    segment = make_audience([customer(i, email=email) for i, email in enumerate(emails)])
    campaign = approve(campaign_create(user=people["author"], name="poison", purpose="notice", template=email_template,
                                       segment=segment, sender=email_sender, throttle_per_s=1000,
                                       window_start_hour=0, window_end_hour=24))
    worker = _start_worker(env, "poison")
    try:
        done = _beat(lambda: Campaign.objects.get(pk=campaign.pk).state == Campaign.State.COMPLETED, timeout=90)
        rows = Delivery.objects.filter(campaign=campaign)
        assert done, f"not completed: {list(rows.values_list('address', 'status', 'attempts'))} {_stderr(worker)}"
    finally:
        _kill(worker)

    parked = rows.get(address=poison)
    assert (parked.status, parked.error_code) == (Delivery.Status.FAILED, POISON_CODE)
    assert set(rows.exclude(pk=parked.pk).values_list("status", flat=True)) == {Delivery.Status.SENT}
    event = AuditEvent.objects.get(action="send.parked", object_id=str(parked.pk))
    # It died twice with its batch, then three times alone: parked at the third death alone — never handed
    # out again.
    assert (event.details["worker_deaths"], event.details["isolated"]) == (5, True)
    reconciled = AuditEvent.objects.filter(action="send.reconciled", object_id=str(parked.pk))
    assert list(reconciled.order_by("id").values_list("details__isolated", flat=True)) == [False, False, True, True]
    # Its neighbours died with it at most twice and were then sent alone.
    assert max(AuditEvent.objects.filter(action="send.reconciled", campaign_id=campaign.pk)
               .exclude(object_id=str(parked.pk)).values_list("details__worker_deaths", flat=True)) <= 2


@pytest.mark.django_db  # in one transaction: the tasks the start queues never run, this test plays the workers
def test_rows_that_die_with_their_whole_batch_again_and_again_are_retried_not_parked(
        email_campaign, approve, settings, clock, django_capture_on_commit_callbacks):
    """Four whole-worker deaths (a deploy, the OOM killer, ...) while rows are held by a batch of many say
    nothing about any one row: they are requeued every time (alone after the second) and finally sent."""
    from campaigns.dispatch.materialise import campaign_start

    settings.SEND_LEASE_S, settings.SEND_POISON_DEATHS, settings.SEND_MAX_ATTEMPTS = 60, 3, 10
    campaign = approve(email_campaign)
    campaign_start(campaign_id=campaign.pk)
    rows = Delivery.objects.filter(campaign=campaign)
    ids = sorted(rows.values_list("id", flat=True))
    for death in (1, 2, 3, 4):
        if death > 2:
            # Sent alone after the second death, each met a transient answer (any outcome clears the mark),
            # so the usual batches may take them again: and the whole worker dies once more.
            rows.update(error_code="email.temporary")
        now = dispatch_clock.now()
        held = claim(campaign.pk, ids[0], ids[-1], limit=1000, now=now,
                     lease_until=now + dt.timedelta(seconds=settings.SEND_LEASE_S))
        assert held == ids
        clock.advance(61)
        with django_capture_on_commit_callbacks(execute=False):
            assert reconcile_expired_leases() == len(ids)
        assert set(rows.values_list("status", "error_code")) == {
            (Delivery.Status.PENDING, SUSPECT if death > 1 else "send.worker_died")}
    assert not AuditEvent.objects.filter(action="send.parked", campaign_id=campaign.pk).exists()
    events = AuditEvent.objects.filter(action="send.reconciled", campaign_id=campaign.pk)
    assert events.count() == 4 * len(ids)
    assert set(events.values_list("details__isolated", flat=True)) == {False}
    assert max(events.values_list("details__worker_deaths", flat=True)) == 4
    for row_id in ids:  # alone, as the requeue asks
        run_batch(campaign.pk, row_id, row_id)
    assert set(rows.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_task_redelivered_after_killing_its_worker_n_times_is_parked_not_run(settings, tmp_path):
    """Whole tasks (materialising a campaign) are guarded by task id: the start counted before a run that
    never ended is a worker death; at SEND_POISON_DEATHS the redelivered task is parked instead of run."""
    from types import SimpleNamespace

    from campaigns.dispatch import task_guard

    settings.SEND_POISON_DEATHS = 3
    runs = []

    @task_guard.guarded
    def run(task, campaign_id):
        runs.append(campaign_id)
        return True

    task = SimpleNamespace(name="campaigns.tasks.start_campaign",
                           request=SimpleNamespace(id=f"poison-task-{tmp_path.name}", is_eager=False))
    assert run(task, 7) is True and runs == [7]  # a run that ends forgets its start
    for _ in range(3):  # three deliveries of the message whose worker died (nothing ran to the end)
        task_guard.count_start(task.request.id)
    assert run(task, 7) is None and runs == [7]
    event = AuditEvent.objects.get(action="task.parked", object_id=task.request.id)
    assert event.details["worker_deaths"] == 3 and event.details["args"] == [7]
    assert task_guard.count_start(task.request.id) == 0  # parked: the count starts again
    task_guard.forget(task.request.id)
