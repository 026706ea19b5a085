"""Fan-out: a campaign's due pending rows, cut into id ranges of ``SEND_BATCH_SIZE`` rows, one
``send_batch(campaign_id, first_id, last_id)`` task each, queued after the transaction commits.

A range is a promise of work, not a lock: the batch claims whatever in its range is still pending when
it runs, so a range queued twice, or overlapping a sweep, sends nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from ..models import Campaign, Delivery
from . import clock
from .sql import table, ts


def due_ranges(campaign_id: int, *, now, size: int | None = None) -> list[tuple[int, int]]:
    """(first_id, last_id) pairs covering the campaign's due pending rows, ``size`` rows each (one
    window-function query over the claim index, whatever the campaign's size)."""
    size = size or settings.SEND_BATCH_SIZE
    sql = (
        "SELECT id, rn, total FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn, COUNT(*) OVER () AS total "
        f"FROM {table(Delivery)} WHERE campaign_id = %s AND status = 'pending' "
        "AND (available_at IS NULL OR available_at <= %s)) t "
        "WHERE (rn - 1) %% %s = 0 OR rn = total ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, ts(now), size])
        rows = cursor.fetchall()
    starts = [row[0] for row in rows if (row[1] - 1) % size == 0]
    if not starts:
        return []
    last = rows[-1][0]
    return [(first, (starts[i + 1] - 1) if i + 1 < len(starts) else last) for i, first in enumerate(starts)]


# Redis serves lower numbers first (kombu's priority steps 0, 3, 6, 9; unset = 0). The bulk of a campaign
# queues at BULK, so what repairs work (the reconciler's resends, stall sweeps) and beat's own tasks do
# not wait behind a fan-out of thousands of batches. The file-system broker ignores priorities.
BULK = 6


def enqueue(campaign_id: int, ranges: list[tuple[int, int]], *, countdown: float = 0, priority: int | None = None,
            ) -> None:
    """Queue one ``send_batch`` per range once the current transaction commits (``priority`` None: first)."""
    if not ranges:
        return
    from ..tasks import send_batch

    def publish() -> None:
        for first, last in ranges:
            send_batch.apply_async(args=(campaign_id, first, last), countdown=countdown or None, priority=priority)

    transaction.on_commit(publish)


def suspects(campaign_id: int, *, now, limit: int = 1000) -> list[tuple[int, int]]:
    """One single-row range per due row whose worker died more than once while sending it (range batches
    leave those alone: see ``claim.SUSPECT``)."""
    from .claim import SUSPECT

    rows = Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.PENDING, error_code=SUSPECT).filter(
        Q(available_at__isnull=True) | Q(available_at__lte=now)).order_by("id").values_list("id", flat=True)[:limit]
    return [(row_id, row_id) for row_id in rows]


def fan_out(campaign_id: int, *, now=None) -> int:
    """Queue batches for all due pending rows of a campaign; returns how many batches."""
    now = now or clock.now()
    ranges = due_ranges(campaign_id, now=now) + suspects(campaign_id, now=now)
    Campaign.objects.filter(pk=campaign_id).update(last_fanout_at=now)
    enqueue(campaign_id, ranges, priority=BULK)
    return len(ranges)


def sweep(campaign_id: int, *, now=None) -> bool:
    """Queue one batch over every due pending row of the campaign (ids from the first due row to the last
    row). It claims ``SEND_BATCH_SIZE`` rows at a time and queues itself again while due rows remain: a
    chain that recovers work whose tasks were lost, without flooding the queue when they were only late."""
    now = now or clock.now()
    due = Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.PENDING).filter(
        Q(available_at__isnull=True) | Q(available_at__lte=now))
    first = due.order_by("id").values_list("id", flat=True).first()
    if first is None:
        return False
    last = Delivery.objects.filter(campaign_id=campaign_id).order_by("-id").values_list("id", flat=True).first()
    Campaign.objects.filter(pk=campaign_id).update(last_fanout_at=now)
    enqueue(campaign_id, [(first, last), *suspects(campaign_id, now=now)])
    return True
