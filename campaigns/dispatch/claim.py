"""Claiming rows for a batch, and giving back the ones it did not send.

A claim moves due ``pending`` rows of one id range to ``sending`` with a lease and counts the attempt,
in one statement: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent batches take disjoint rows
without waiting; on SQLite the single writer makes the conditional UPDATE atomic. The lease value is
also the claim's token: results and releases only touch rows still ``sending`` under that lease, so
a batch that overran its lease (and whose rows were reconciled and claimed again) cannot overwrite
the newer claim. A live batch renews its lease as it goes (``renew``), so the lease only has to outlast
one chunk, and an expired lease really means a dead worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import connection, transaction

from ..models import Delivery
from . import clock
from .sql import is_postgres, table, ts

logger = logging.getLogger(__name__)


# A row whose worker died more than once while sending it (set by the reconciler; any outcome clears it):
# only a batch of its own (first_id == last_id) may claim it, so a poison message dies alone.
SUSPECT = "send.worker_died_again"


def _isolation(first_id: int, last_id: int) -> str:
    return "" if first_id == last_id else f"AND error_code <> '{SUSPECT}' "


def claim(campaign_id: int, first_id: int, last_id: int, *, limit: int, now, lease_until) -> list[int]:
    """Ids of the rows claimed (at most ``limit``), in id order."""
    lock = "FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    sql = (
        f"UPDATE {table(Delivery)} SET status = 'sending', lease_until = %s, attempts = attempts + 1, "
        "updated_at = %s WHERE status = 'pending' AND id IN ("
        f"SELECT id FROM {table(Delivery)} WHERE campaign_id = %s AND status = 'pending' AND id BETWEEN %s AND %s "
        f"AND (available_at IS NULL OR available_at <= %s) {_isolation(first_id, last_id)}"
        f"ORDER BY id LIMIT %s {lock}) RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [ts(lease_until), ts(now), campaign_id, first_id, last_id, ts(now), limit])
        return sorted(row[0] for row in cursor.fetchall())


def release(ids: list[int], *, lease_until, now, attempted: bool = False) -> int:
    """Back to ``pending`` without an outcome (the batch stopped before sending them: paused, window
    closed, out of time). ``attempted=False`` also takes back the attempt the claim counted."""
    if not ids:
        return 0
    undo = ", attempts = attempts - 1" if not attempted else ""
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {table(Delivery)} SET status = 'pending', lease_until = NULL, updated_at = %s{undo} "
        f"WHERE status = 'sending' AND lease_until = %s AND id IN ({placeholders})"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [ts(now), ts(lease_until), *ids])
        return cursor.rowcount


def renew(ids: list[int], *, lease_until, new_lease_until, now) -> set[int]:
    """Extend the lease of rows still held under ``lease_until``; returns the ids still ours (a row missing
    here was reconciled meanwhile and belongs to someone else now)."""
    if not ids:
        return set()
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {table(Delivery)} SET lease_until = %s, updated_at = %s "
        f"WHERE status = 'sending' AND lease_until = %s AND id IN ({placeholders}) RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [ts(new_lease_until), ts(now), ts(lease_until), *ids])
        return {row[0] for row in cursor.fetchall()}


def due_pending_exists(campaign_id: int, first_id: int, last_id: int, *, now) -> bool:
    sql = (
        f"SELECT 1 FROM {table(Delivery)} WHERE campaign_id = %s AND status = 'pending' AND id BETWEEN %s AND %s "
        f"AND (available_at IS NULL OR available_at <= %s) {_isolation(first_id, last_id)}LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, first_id, last_id, ts(now)])
        return cursor.fetchone() is not None


class Heartbeat:
    """Renews a batch's lease every quarter lease from a thread while the main thread is inside an adapter
    call (which does not touch the database, so the two never race for the lease token). The thread uses
    its own database connection and closes it when it stops."""

    def __init__(self, ids: list[int], lease_until: dt.datetime) -> None:
        self.ids, self.lease_until, self.lost = ids, lease_until, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(settings.SEND_LEASE_S / 4):
                now = clock.now()
                new_lease = now + dt.timedelta(seconds=settings.SEND_LEASE_S)
                ours = renew(self.ids, lease_until=self.lease_until, new_lease_until=new_lease, now=now)
                self.lost |= set(self.ids) - ours
                self.ids = [i for i in self.ids if i in ours]
                self.lease_until = new_lease
        except Exception:  # the lease then runs out as if we were dead: a resend, never a loss
            logger.exception("lease heartbeat failed")
        finally:
            connection.close()
