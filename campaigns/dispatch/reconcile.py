"""Rows stuck in ``sending`` past their lease: their worker died (SIGKILL, OOM, a lost machine) somewhere
between the claim and the result (a live batch renews its lease, also while the adapter works).

What exactly happens: we cannot know whether the message left. The row goes back to ``pending`` with
its attempt counted and its delivery id unchanged, gets a ``send.reconciled`` audit event, and a batch
is queued for it. When it is sent again it carries the same delivery id — the same email Message-ID
(``<nc-{id}@domain>``) and the same Twilio ``StatusCallback`` ``mid`` — so a receiver, a mail
provider's de-duplication or our own receipts recognise a second copy as the same message. If a
receipt for the first copy arrives meanwhile (delivered, or Twilio's queued/sent), ``campaigns.receipts``
settles the row and nothing is sent again.

Poison messages: every expired lease is a worker death, counted per delivery durably in the database
(the row's ``send.reconciled`` audit events, whose details also keep the expired ``lease_until`` that was
taken back). A row that has already died once is marked ``send.worker_died_again`` and only a batch of its
own may claim it (``claim.SUSPECT``), so one poison message cannot take innocent neighbours down with it
any more. Only a death while the row was so isolated (``isolated: true`` in the event) says something
about the row itself: a whole batch dying (a deploy, the OOM killer, a lost machine) says nothing about
any one row in it, and such rows are retried for as long as they have attempts. A row that died
``SEND_POISON_DEATHS`` times while isolated is parked: ``failed`` with ``send.poison`` (shown under
"Errors, by code" on the monitor), a ``send.parked`` audit event and an error in the log, instead of
being handed out for ever. A row whose attempts are used up fails with ``send.lease_expired``.
(A whole worker killed exactly while it sends an isolated row counts against that row too: we cannot
tell the two apart, but an innocent row would need that to happen ``SEND_POISON_DEATHS`` times.)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from audit.models import AuditEvent
from audit.services import Event, record_many

from ..models import Delivery
from . import clock
from .claim import SUSPECT
from .fanout import enqueue
from .results import OBJECT_TYPE, WORKER
from .sql import is_postgres, table, ts

logger = logging.getLogger(__name__)
LIMIT = 5000
RECONCILED = "send.reconciled"
POISON_CODE = "send.poison"
# (status, error_code, error_message, audit action) for each way out of an expired lease
REQUEUE = ("pending", "send.worker_died", "its worker died while sending it", RECONCILED)
ISOLATE = ("pending", SUSPECT, "its worker died more than once while sending it: sent alone", RECONCILED)
GIVE_UP = ("failed", "send.lease_expired", "the worker died while sending", "send.failed")
PARK = ("failed", POISON_CODE, "parked: its worker died every time it was sent", "send.parked")


def _expired(now: dt.datetime) -> list[tuple]:
    """(id, campaign_id, recipient_id, channel, address, attempts, lease_until, isolated) of rows whose lease
    ran out, locked. ``isolated``: the row was marked SUSPECT, so only a batch of its own can have held it."""
    lock = "FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    sql = (
        f"SELECT id, campaign_id, recipient_id, channel, address, attempts, lease_until, error_code = %s "
        f"FROM {table(Delivery)} "
        f"WHERE status = 'sending' AND lease_until < %s ORDER BY id LIMIT %s {lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [SUSPECT, ts(now), LIMIT])
        return [(*row[:6], lease_text(row[6]), bool(row[7])) for row in cursor.fetchall()]


def lease_text(value) -> str:
    """A lease as an ISO string in UTC, the same whether the driver returned a datetime (PostgreSQL) or the
    stored text (SQLite); the chaos bench compares it with the ``lease_until`` it read at a kill."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def deaths(ids: list[int], *, isolated: bool = False) -> dict[int, int]:
    """How many times each delivery's worker died while holding it (before now); ``isolated``: only the
    deaths while it was held alone (those count towards parking)."""
    events = AuditEvent.objects.filter(action=RECONCILED, object_type=OBJECT_TYPE, object_id__in=[str(i) for i in ids])
    if isolated:
        events = events.filter(details__isolated=True)
    rows = events.values("object_id").annotate(n=Count("id")).order_by()
    return {int(row["object_id"]): row["n"] for row in rows}


def _update(ids: list[int], way: tuple, now: dt.datetime) -> list[int]:
    if not ids:
        return []
    status, code, message, _ = way
    placeholders = ", ".join(["%s"] * len(ids))
    error = ", error_code = %s, error_message = %s" if code else ""
    sql = (
        f"UPDATE {table(Delivery)} SET status = %s, lease_until = NULL, available_at = NULL, updated_at = %s{error} "
        f"WHERE status = 'sending' AND lease_until < %s AND id IN ({placeholders}) RETURNING id"
    )
    params = [status, ts(now), *([code, message] if code else []), ts(now), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def reconcile_expired_leases(*, now: dt.datetime | None = None) -> int:
    """Requeue (or park, or fail) rows whose lease ran out; returns how many."""
    now = now or clock.now()
    with transaction.atomic():
        rows = _expired(now)
        if not rows:
            return 0
        ids = [row[0] for row in rows]
        died_before, alone_before = deaths(ids), deaths(ids, isolated=True)
        ways: dict[tuple, list[tuple]] = defaultdict(list)
        for row in rows:
            died = died_before.get(row[0], 0) + 1
            isolated = row[7]
            if isolated and alone_before.get(row[0], 0) + 1 >= settings.SEND_POISON_DEATHS:
                ways[PARK].append((*row, died))
            elif row[5] >= settings.SEND_MAX_ATTEMPTS:
                ways[GIVE_UP].append((*row, died))
            else:
                ways[ISOLATE if died > 1 else REQUEUE].append((*row, died))
        events, requeued = [], []
        for way, members in ways.items():
            changed = set(_update([m[0] for m in members], way, now))
            members = [m for m in members if m[0] in changed]
            events += [_event(way, member, now) for member in members]
            if way[0] == "pending":
                requeued += members
            elif way is PARK and members:
                logger.error("parked %s deliveries whose worker died %s times while sending them alone: %s",
                             len(members), settings.SEND_POISON_DEATHS, [m[0] for m in members][:20])
        record_many(events)
        _requeue(requeued)
    return len(events)


def _event(way: tuple, member: tuple, now: dt.datetime) -> Event:
    row_id, campaign_id, recipient_id, channel, address, attempts, lease_until, isolated, died = member
    status, code, _, action = way
    details = {"attempt": attempts, "reason": "lease expired", "worker_deaths": died, "error_code": code,
               "isolated": isolated, "lease_until": lease_until}
    if status == "pending":
        details["resend"] = "same delivery id" + (" (alone)" if way is ISOLATE else "")
    if way is PARK:
        details["reason"] = (f"its worker died {died} times while sending it, {settings.SEND_POISON_DEATHS} of them "
                             "while it was sent alone (SEND_POISON_DEATHS)")
    return Event(action=action, actor=WORKER, object_type=OBJECT_TYPE, object_id=str(row_id), campaign_id=campaign_id,
                 recipient_id=recipient_id, channel=channel, address=address, outcome=status, at=now, details=details)


def _requeue(members: list[tuple]) -> None:
    """First death: the usual batches. A row that already killed a worker before: a batch of its own."""
    by_campaign: dict[int, list[int]] = defaultdict(list)
    suspects: dict[int, list[int]] = defaultdict(list)
    for row_id, campaign_id, *_, died in members:
        (suspects if died > 1 else by_campaign)[campaign_id].append(row_id)
    for campaign_id, ids in by_campaign.items():
        enqueue(campaign_id, _ranges(sorted(ids)))
    for campaign_id, ids in suspects.items():
        enqueue(campaign_id, [(i, i) for i in sorted(ids)])


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    size = settings.SEND_BATCH_SIZE
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
