"""Rows stuck in ``sending`` past their lease: their worker died (SIGKILL, OOM, a lost machine) somewhere
between the claim and the result.

What exactly happens: we cannot know whether the message left. The row goes back to ``pending`` with
its attempt counted and its delivery id unchanged, gets a ``send.reconciled`` audit event, and a batch
is queued for it. When it is sent again it carries the same delivery id — the same email Message-ID
(``<nc-{id}@domain>``) and the same Twilio ``StatusCallback`` ``mid`` — so a receiver, a mail
provider's de-duplication or our own receipts recognise a second copy as the same message. If a
receipt for the first copy arrives meanwhile (delivered, or Twilio's queued/sent), ``campaigns.receipts``
settles the row and nothing is sent again. A row whose attempts are used up (a message that keeps
killing its worker) fails with ``send.lease_expired`` instead of being retried for ever.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction

from audit.services import Event, record_many

from ..models import Delivery
from . import clock
from .fanout import enqueue
from .results import OBJECT_TYPE, WORKER
from .sql import table, ts

LIMIT = 5000


def _take_expired(now: dt.datetime, *, give_up: bool) -> list[tuple]:
    status = "'failed'" if give_up else "'pending'"
    error = ", error_code = 'send.lease_expired', error_message = 'the worker died while sending'" if give_up else ""
    attempts = ">=" if give_up else "<"
    sql = (
        f"UPDATE {table(Delivery)} SET status = {status}, lease_until = NULL, available_at = NULL, "
        f"updated_at = %s{error} WHERE status = 'sending' AND lease_until < %s AND id IN ("
        f"SELECT id FROM {table(Delivery)} WHERE status = 'sending' AND lease_until < %s AND attempts {attempts} %s "
        "ORDER BY id LIMIT %s) RETURNING id, campaign_id, recipient_id, channel, address, attempts"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ts(now), ts(now), ts(now), settings.SEND_MAX_ATTEMPTS, LIMIT])
        return cursor.fetchall()


def reconcile_expired_leases(*, now: dt.datetime | None = None) -> int:
    """Requeue (or fail) rows whose lease ran out; returns how many."""
    now = now or clock.now()
    total = 0
    with transaction.atomic():
        for give_up in (False, True):
            rows = _take_expired(now, give_up=give_up)
            total += len(rows)
            record_many([
                Event(action="send.failed" if give_up else "send.reconciled", actor=WORKER, object_type=OBJECT_TYPE,
                      object_id=str(row_id), campaign_id=campaign_id, recipient_id=recipient_id, channel=channel,
                      address=address, outcome="failed" if give_up else "pending", at=now,
                      details={"attempt": attempts, "reason": "lease expired", "error_code": "send.lease_expired"
                               if give_up else "", "resend": "" if give_up else "same delivery id"})
                for row_id, campaign_id, recipient_id, channel, address, attempts in rows
            ])
            if not give_up:
                by_campaign: dict[int, list[int]] = defaultdict(list)
                for row in rows:
                    by_campaign[row[1]].append(row[0])
                for campaign_id, ids in by_campaign.items():
                    enqueue(campaign_id, _ranges(sorted(ids)))
    return total


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    size = settings.SEND_BATCH_SIZE
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
