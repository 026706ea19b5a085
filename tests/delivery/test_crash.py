"""Crash test with real Celery worker processes: SIGKILL the worker in the middle of a campaign, start it
again, and check what the receiving SMTP server saw.

The worker runs ``celery -A notify_console worker`` as a subprocess against this test's database (a
SQLite file with the file-system broker by default; PostgreSQL + Redis when DATABASE_URL/REDIS_URL are
set). This process plays beat: it runs the dispatch tick and the reconciler every half second, which
only queue tasks. Acceptance: every recipient ends with exactly one delivery row in a final state,
nobody is missed, and any message the sink got twice was in flight at the kill and carries the same
Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from campaigns.dispatch import clock as dispatch_clock
from campaigns.dispatch import delivery_id_from
from campaigns.models import Campaign, Delivery
from campaigns.permissions import grant_approve_permission
from campaigns.services import campaign_create
from campaigns.tasks import dispatch_tick, reconcile_deliveries
from notify_console.celery import app as celery_app

from .conftest import customer, free_port

pytestmark = [pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 240
_MESSAGE_ID = re.compile(rb"^Message-ID: <([^@>]+)@", re.MULTILINE | re.IGNORECASE)


class SlowSink:
    """Accepts every message after a short pause (so a campaign takes long enough to be killed mid-way)
    and records each one's recipient and Message-ID."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        match = _MESSAGE_ID.search(envelope.original_content or envelope.content)
        for rcpt in envelope.rcpt_tos:
            self.received.append((rcpt, match.group(1).decode() if match else ""))
        return "250 2.0.0 Ok: queued"


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(env: dict, name: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "notify_console", "worker", "--concurrency", "2",
               "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "--hostname", f"{name}@%h"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _kill(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)  # the main process and its pool children, no goodbyes
    worker.wait(10)


def _beat(until, timeout: float) -> bool:
    """Tick and reconcile like beat would, until ``until()`` or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch_tick()
        reconcile_deliveries()
        if until():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def worker_env(monkeypatch, clock):
    dispatch_clock.set_clock(None)  # this process plays beat next to real workers: real time for both
    monkeypatch.setattr(logging.getLogger("mail.log"), "level", logging.WARNING)  # aiosmtpd's per-command log
    sink = SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "notify_console.settings",
        "DATABASE_URL": _database_url(),
        "NOTIFY_VAR_DIR": str(settings.VAR_DIR),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}?timeout=5",
        "SEND_LEASE_S": "6",
        "SEND_BATCH_SIZE": "40",
        "SEND_CHUNK_SIZE": "10",
        "SEND_STALL_S": "3",
        "SEND_RETRY_BASE_S": "1",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DKIM_DOMAIN", "DKIM_SELECTOR", "DKIM_PRIVATE_KEY_FILE", "EMAIL_BOUNCE_ADDRESS"):
        env.pop(name, None)
    # This process only queues tasks (it plays beat); the workers run them.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(settings, "SEND_LEASE_S", 6)
    monkeypatch.setattr(settings, "SEND_STALL_S", 3)
    celery_app.control.purge()
    yield env, sink
    celery_app.conf.task_always_eager = eager
    controller.stop()


def test_a_worker_killed_mid_campaign_loses_nobody_and_duplicates_only_what_was_in_flight(
        worker_env, people, make_audience, email_template, email_sender, approve):
    env, sink = worker_env
    grant_approve_permission()  # a transactional test's flush removed what the data migration granted
    segment = make_audience([customer(i, email=f"crash{i}@example.jp") for i in range(RECIPIENTS)])
    campaign = approve(campaign_create(user=people["author"], name="crash", purpose="notice", template=email_template,
                                       segment=segment, sender=email_sender, throttle_per_s=1000,
                                       window_start_hour=0, window_end_hour=24))  # the workers use the real clock
    eligible = {f"crash{i}@example.jp" for i in range(RECIPIENTS)}

    worker = _start_worker(env, "crash1")
    try:
        started = _beat(lambda: len(sink.received) >= RECIPIENTS * 0.4, timeout=60)
        assert started, "the worker never got going: " + _stderr(worker)
        _kill(worker)
        in_flight = set(Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENDING)
                        .values_list("id", flat=True))
        received_at_kill = len(sink.received)
        assert received_at_kill < RECIPIENTS, "the kill came too late to test anything"

        worker = _start_worker(env, "crash2")
        done = _beat(lambda: Campaign.objects.get(pk=campaign.pk).state == Campaign.State.COMPLETED, timeout=90)
        assert done, f"not completed: {Counter(Delivery.objects.values_list('status', flat=True))}"
    finally:
        _kill(worker)

    rows = Delivery.objects.filter(campaign=campaign)
    assert rows.count() == RECIPIENTS
    assert set(rows.values_list("status", flat=True)) == {Delivery.Status.SENT}, _history(rows.exclude(status="sent"))
    assert {rcpt for rcpt, _ in sink.received} == eligible  # nobody missed
    ids_by_recipient = defaultdict(set)
    for rcpt, message_id in sink.received:
        ids_by_recipient[rcpt].add(message_id)
    assert all(len(ids) == 1 for ids in ids_by_recipient.values()), "a recipient got two different messages"
    copies = Counter(message_id for _, message_id in sink.received)
    duplicated = {delivery_id_from(mid) for mid, n in copies.items() if n > 1}
    assert duplicated <= in_flight, _history(rows.filter(id__in=duplicated - in_flight))
    ids = {str(i) for i in rows.values_list("id", flat=True)}
    audited = set(AuditEvent.objects.filter(action="send.sent", campaign_id=campaign.pk)
                  .values_list("object_id", flat=True))
    assert audited == ids
    print(f"crash test: {received_at_kill} received at the kill, {len(in_flight)} in flight, "
          f"{len(duplicated)} duplicated, {len(sink.received)} received in all")


def _history(rows) -> str:
    """What the audit log says about these rows (for a failure message)."""
    lines = []
    for row in rows[:5]:
        events = AuditEvent.objects.filter(object_type="campaigns.delivery", object_id=str(row.pk)).order_by("id")
        lines.append(f"delivery {row.pk} ({row.status} {row.error_code}): " + "; ".join(
            f"{e.at:%H:%M:%S.%f} {e.actor} {e.action} {e.details}" for e in events))
    return "\n".join(lines)


def _stderr(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        return "(still running)"
    return worker.stderr.read().decode(errors="replace")[-3000:]
