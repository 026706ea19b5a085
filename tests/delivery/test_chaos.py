"""The chaos scenario of ``bench/chaos_bench.py``, small: an email and an SMS campaign (120 recipients each)
sent by two real Celery worker processes to a recording SMTP sink and the recording Twilio stand-in,
while the test SIGKILLs a worker's pool child, a worker's main process (with its children; started
again) and another child, makes the SMTP sink answer 451 and the SMS stand-in 429 and 503, and makes
both stall past the client timeout. Counted at the sinks: nobody lost, and every duplicate was in flight
at a kill and carries the same Message-ID / client reference; every row final with its audit event.
In flight at a kill is the bench's strict rule: the reconciler took back exactly the lease the row had
right after a SIGKILL (never renewed after it: its holder died there), one such reconciliation per extra
copy.

It runs against whatever the suite runs on: SQLite with the embedded file-system broker by default,
PostgreSQL + Redis with DATABASE_URL / REDIS_URL. Redis is NOT restarted here: the Redis of a test run is
a server other test runs share (the bench restarts its own private one).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from audit.models import AuditEvent
from campaigns.dispatch import delivery_id_from
from campaigns.dispatch.reconcile import lease_text
from campaigns.models import Campaign, Delivery
from campaigns.permissions import grant_approve_permission
from campaigns.services import campaign_create
from channels.testing.chaos import FaultFile, RecordingSink, tally
from channels.testing.twilio_standin import TwilioStandIn

from .conftest import customer, free_port, mobile
from .test_crash import _beat, _kill, _start_worker, _stderr
from .test_crash import worker_env as worker_env  # a fixture

pytestmark = [pytest.mark.django_db(transaction=True)]
N = 120
CLIENT_TIMEOUT_S = 1


def _children(worker) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != worker.pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getpgid(int(entry.name)) == worker.pid:
                    found.append(int(entry.name))
    return sorted(found)


@pytest.fixture
def chaos(worker_env, tmp_path, monkeypatch):
    env, _ = worker_env
    sink = RecordingSink(fault=FaultFile(), stall_s=CLIENT_TIMEOUT_S + 1.5)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    twilio = TwilioStandIn(account_sid="ACchaos0000000000000000000000000", auth_token="chaos-token").start()
    twilio.fault_path, twilio.stall_s = tmp_path / "sms.fault", CLIENT_TIMEOUT_S + 1.5
    twilio.fault_path.write_text("")
    env.update({
        "EMAIL_URL": f"smtp://127.0.0.1:{port}?timeout={CLIENT_TIMEOUT_S}", "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM": "+815000000000", "TWILIO_API_BASE": twilio.api_base, "TWILIO_TIMEOUT_S": str(CLIENT_TIMEOUT_S),
        "PUBLIC_BASE_URL": "https://notify.example.jp", "SEND_LEASE_S": "2", "SEND_BATCH_SIZE": "20",
        "SEND_CHUNK_SIZE": "5", "SEND_RETRY_MAX_S": "2", "SEND_MAX_ATTEMPTS": "30",
        "EMAIL_RATE_PER_S": "0", "SMS_RATE_PER_S": "0",
    })
    for name, value in (("SEND_LEASE_S", 2), ("SEND_MAX_ATTEMPTS", 30), ("SEND_RETRY_MAX_S", 2)):
        monkeypatch.setattr(settings, name, value)  # this process reconciles: the workers' values
    yield env, sink, twilio
    controller.stop()
    twilio.stop()


def test_kills_and_provider_faults_lose_nobody_and_duplicate_only_what_was_in_flight(
        chaos, people, make_audience, email_template, sms_template, email_sender, sms_sender, approve):
    env, sink, twilio = chaos
    grant_approve_permission()  # a transactional test's flush removed what the data migration granted
    segment = make_audience([customer(i, email=f"chaos{i}@example.jp", phone=mobile(i)) for i in range(N)])
    campaigns = {}
    for channel, template, sender in (("email", email_template, email_sender), ("sms", sms_template, sms_sender)):
        campaigns[channel] = approve(campaign_create(
            user=people["author"], name=f"chaos {channel}", purpose="notice", template=template, segment=segment,
            sender=sender, throttle_per_s=15, window_start_hour=0, window_end_hour=24)).pk  # real clock: any hour
    ids = list(campaigns.values())

    def sent() -> int:
        return Delivery.objects.filter(campaign_id__in=ids, status=Delivery.Status.SENT).count()

    def sms_fault(value: str) -> None:
        twilio.fault_path.write_text(value)

    workers = [_start_worker(env, "chaos-a"), _start_worker(env, "chaos-b")]
    leases_at_kills: list[dict[int, str]] = []  # {delivery id: lease_until} of the claimed rows, after each kill
    kills = 0

    def kill(what: str) -> None:
        nonlocal kills
        if what == "main":
            _kill(workers[1])
            workers[1] = _start_worker(env, f"chaos-b{kills}")
        else:
            children = _children(workers[0]) or _children(workers[1])
            assert children, "no pool child to kill"
            os.kill(children[0], signal.SIGKILL)
        held = Delivery.objects.filter(campaign_id__in=ids, status=Delivery.Status.SENDING, lease_until__isnull=False)
        leases_at_kills.append({row_id: lease_text(lease) for row_id, lease in held.values_list("id", "lease_until")})
        kills += 1

    # (progress in messages sent, what happens), each fault window open for 1.5 s
    plan = [(20, lambda: kill("child")), (40, lambda: setattr(sink.fault, "value", "4xx")),
            (55, lambda: sms_fault("429")), (70, lambda: kill("main")), (90, lambda: sms_fault("503")),
            (110, lambda: setattr(sink.fault, "value", "stall")), (130, lambda: sms_fault("stall")),
            (150, lambda: kill("child"))]
    ends: list[tuple[float, object]] = []

    def step() -> bool:
        for when, action in [e for e in ends if e[0] <= time.monotonic()]:
            ends.remove((when, action))
            action()
        if plan and sent() >= plan[0][0]:
            plan.pop(0)[1]()
            ends.append((time.monotonic() + 1.5, lambda: (setattr(sink.fault, "value", ""), sms_fault(""))))
        states = set(Campaign.objects.filter(pk__in=ids).values_list("state", flat=True))
        return states == {Campaign.State.COMPLETED}

    try:
        done = _beat(step, timeout=120)
        rows = Delivery.objects.filter(campaign_id__in=ids)
        assert done, f"not completed: {list(rows.values_list('status', 'error_code'))[:20]} {_stderr(workers[0])}"
    finally:
        for worker in workers:
            _kill(worker)

    assert kills == 3 and not plan
    assert rows.count() == 2 * N  # every recipient got a row on each channel, and none was skipped
    assert set(rows.values_list("status", flat=True)) == {Delivery.Status.SENT}
    in_flight: dict[int, int] = {}  # reconciliations that took back a lease recorded at a kill
    for object_id, lease in (AuditEvent.objects.filter(action="send.reconciled", campaign_id__in=ids)
                             .values_list("object_id", "details__lease_until")):
        if any(held.get(int(object_id)) == lease for held in leases_at_kills):
            in_flight[int(object_id)] = in_flight.get(int(object_id), 0) + 1
    received = {"email": sink.received, "sms": [(m["mid"], m["To"]) for m in twilio.messages]}
    for channel, campaign_id in campaigns.items():
        eligible = set(rows.filter(campaign_id=campaign_id).values_list("address", flat=True))
        counted = tally(eligible, received[channel], in_flight, delivery_id_from=delivery_id_from)
        assert counted.messages == N
        assert counted.lost == 0, counted.lost_examples
        assert counted.duplicates == counted.duplicates_in_flight, counted.unexplained
    audited = set(AuditEvent.objects.filter(action="send.sent", campaign_id__in=ids)
                  .values_list("object_id", flat=True))
    assert audited == {str(i) for i in rows.values_list("id", flat=True)}
