"""Writing what became of each row of a chunk: the row's new state and its audit event, in one transaction.

Outcomes: ``sent``; ``failed`` (permanent, or transient with no attempts left); ``pending`` again with
``available_at`` (transient: retried with exponential backoff and jitter); ``skipped`` (blocked at the
moment of sending). A hard bounce or an unsubscribed-recipient error adds its suppression through
``audiences.services.suppression_add`` in the same transaction.

The update is set-based — ``UPDATE … FROM (VALUES …)`` on PostgreSQL, one prepared statement run for
all rows on SQLite — and only touches rows still ``sending`` under this batch's lease, so a receipt
that already moved a row on, or a newer claim after a reconciliation, is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from audiences.services import SuppressionInputError, suppression_add
from audit.services import Event, record_many_copy, system_actor

from ..models import Campaign, Delivery
from .sql import is_postgres, table, ts

logger = logging.getLogger(__name__)
WORKER = system_actor("dispatch")
OBJECT_TYPE = "campaigns.delivery"


@dataclass
class Outcome:
    row: dict
    status: str  # sent | failed | pending | skipped
    action: str  # the audit action: send.sent | send.failed | send.deferred | send.skipped
    provider_id: str = ""
    error_code: str = ""
    error_message: str = ""
    skip_reason: str = ""
    sent_at: dt.datetime | None = None
    available_at: dt.datetime | None = None
    attempted: bool = True  # False: the claim's attempt is taken back (nothing was tried)
    suppression: str = ""
    details: dict = field(default_factory=dict)


def backoff_s(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: base × 2^(attempt−1), capped, then 50–100 % of it ("equal jitter"),
    and never sooner than the provider asked (Retry-After)."""
    ceiling = min(settings.SEND_RETRY_MAX_S, settings.SEND_RETRY_BASE_S * (2 ** max(0, attempt - 1)))
    wait = ceiling * (0.5 + random.random() / 2)
    return max(wait, min(retry_after or 0.0, float(settings.SEND_RETRY_MAX_S)))


def from_result(row: dict, result, *, now: dt.datetime) -> Outcome:
    """What a ``SendResult`` means for its row."""
    if result.ok:
        return Outcome(row, "sent", "send.sent", provider_id=result.provider_id, sent_at=now,
                       details={"provider_id": result.provider_id})
    common = {"error_code": result.error_code, "error_message": (result.error_message or "")[:1000]}
    if result.permanent:
        return Outcome(row, "failed", "send.failed", suppression=result.suppression, **common,
                       details={"permanent": True, **result.details})
    if row["attempts"] >= settings.SEND_MAX_ATTEMPTS:
        return Outcome(row, "failed", "send.failed", suppression=result.suppression, **common,
                       details={"permanent": False, "gave_up_after": row["attempts"], **result.details})
    retry_at = now + dt.timedelta(seconds=backoff_s(row["attempts"], result.retry_after))
    return Outcome(row, "pending", "send.deferred", available_at=retry_at, **common,
                   details={"retry_at": retry_at.isoformat(), **result.details})


def _event(campaign: Campaign, outcome: Outcome, now: dt.datetime) -> Event:
    row = outcome.row
    details = {"attempt": row["attempts"], **outcome.details}
    if outcome.error_code:
        details.setdefault("error_code", outcome.error_code)
        details.setdefault("error", outcome.error_message[:300])
    if outcome.skip_reason:
        details["skip_reason"] = outcome.skip_reason
    return Event(action=outcome.action, actor=WORKER, object_type=OBJECT_TYPE, object_id=str(row["id"]),
                 campaign_id=campaign.pk, recipient_id=row["recipient_id"], channel=campaign.channel,
                 address=row["address"], outcome=outcome.status, details=details, at=now)


_COLUMNS = ("id", "status", "provider_id", "error_code", "error_message", "skip_reason", "sent_at",
            "available_at", "attempt_delta")


def _values(outcome: Outcome) -> tuple:
    return (outcome.row["id"], outcome.status, outcome.provider_id[:128], outcome.error_code[:64],
            outcome.error_message, outcome.skip_reason[:64], ts(outcome.sent_at), ts(outcome.available_at),
            0 if outcome.attempted else -1)


def _update_postgres(outcomes: list[Outcome], *, lease_until, now) -> int:
    """One UPDATE … FROM unnest(arrays): nine parameters however many rows (psycopg's client-side
    conversion of a VALUES list with thousands of parameters cost more than the update itself)."""
    sql = (
        f"UPDATE {table(Delivery)} AS d SET status = v.status, provider_id = v.provider_id, "
        "error_code = v.error_code, error_message = v.error_message, skip_reason = v.skip_reason, "
        "sent_at = COALESCE(v.sent_at, d.sent_at), available_at = v.available_at, "
        "attempts = d.attempts + v.attempt_delta, lease_until = NULL, updated_at = %s "
        "FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[], %s::text[], %s::varchar[], "
        f"%s::timestamptz[], %s::timestamptz[], %s::int[]) AS v({', '.join(_COLUMNS)}) "
        "WHERE d.id = v.id AND d.status = 'sending' AND d.lease_until = %s"
    )
    columns = list(zip(*(_values(o) for o in outcomes), strict=True))
    with connection.cursor() as cursor:
        cursor.execute(sql, [ts(now), *(list(c) for c in columns), ts(lease_until)])
        return cursor.rowcount


def _update_sqlite(outcomes: list[Outcome], *, lease_until, now) -> int:
    sql = (
        f"UPDATE {table(Delivery)} SET status = %s, provider_id = %s, error_code = %s, error_message = %s, "
        "skip_reason = %s, sent_at = COALESCE(%s, sent_at), available_at = %s, attempts = attempts + %s, "
        "lease_until = NULL, updated_at = %s WHERE id = %s AND status = 'sending' AND lease_until = %s"
    )
    params = [(*_values(o)[1:], ts(now), o.row["id"], ts(lease_until)) for o in outcomes]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount


def write(campaign: Campaign, outcomes: list[Outcome], *, lease_until, now: dt.datetime) -> int:
    """Rows updated (fewer than ``outcomes`` when a receipt or a newer claim got there first)."""
    if not outcomes:
        return 0
    with transaction.atomic():
        update = _update_postgres if is_postgres() else _update_sqlite
        updated = update(outcomes, lease_until=lease_until, now=now)
        record_many_copy([_event(campaign, o, now) for o in outcomes])
        for outcome in outcomes:
            if outcome.suppression:
                _suppress(campaign, outcome)
    return updated


def _suppress(campaign: Campaign, outcome: Outcome) -> None:
    try:
        suppression_add(channel=campaign.channel, address=outcome.row["address"], reason=outcome.suppression,
                        source=f"send:{outcome.error_code}", actor=WORKER,
                        note=f"delivery {outcome.row['id']} of campaign {campaign.pk}")
    except SuppressionInputError:  # an address that no longer validates cannot be sent to either
        logger.warning("could not suppress the address of delivery %s", outcome.row["id"])
