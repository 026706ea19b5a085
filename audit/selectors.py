"""Reads of the audit table for the auditor's pages, the API and the exports.

Pages are keyset-paginated on ``(at, id)``, newest first: the next page starts strictly below the last
row shown, so page 10,000 costs what page 1 costs, and the composite indexes of migration 0003
(``<filter column>, at, id``) let PostgreSQL read just one page's rows for each single filter.
The row comparison ``(at, id) < (…, …)`` is written out because an ``OR`` of two conditions would not
be used as an index bound.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from .filters import EventFilter
from .models import AuditEvent, AuditSeal

PAGE_SIZE = 50
_TABLE = AuditEvent._meta.db_table


def filtered_events(filters: EventFilter) -> QuerySet:
    return filters.apply(AuditEvent.objects.all())


def _below(events: QuerySet, cursor: AuditEvent) -> QuerySet:
    at = connection.ops.adapt_datetimefield_value(cursor.at)
    sql = f'("{_TABLE}"."at", "{_TABLE}"."id") < (%s, %s)'
    below = RawSQL(sql, (at, cursor.id), output_field=BooleanField())  # noqa: S611 (constant SQL, values bound)
    return events.filter(below)


def event_page(
    filters: EventFilter, *, before_id: int | None = None, size: int = PAGE_SIZE
) -> tuple[list[AuditEvent], int | None]:
    """One page newest first, and the id to pass as ``before_id`` for the next (None on the last page)."""
    events = filtered_events(filters)
    if before_id is not None:
        cursor = AuditEvent.objects.filter(id=before_id).only("id", "at").first()
        if cursor is None:
            return [], None
        events = _below(events, cursor)
    rows = list(events.order_by("-at", "-id")[: size + 1])
    next_before = rows[size - 1].id if len(rows) > size else None
    return rows[:size], next_before


def event_detail(event_id: int) -> tuple[AuditEvent, AuditSeal | None] | None:
    """The event and the seal that covers it (None while it is not sealed yet)."""
    event = AuditEvent.objects.filter(id=event_id).first()
    if event is None:
        return None
    seal = AuditSeal.objects.filter(first_event_id__lte=event_id, last_event_id__gte=event_id).first()
    return event, seal


def known_actions(limit: int = 200) -> list[str]:
    """Distinct actions for the filter's suggestions.

    On PostgreSQL a recursive "loose index scan" over the ``(action, at, id)`` index jumps from one
    action to the next, so this costs a few dozen index probes even at ten million rows.
    """
    if connection.vendor != "postgresql":
        return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()[:limit])
    sql = f"""
        WITH RECURSIVE a(action) AS (
            (SELECT action FROM {_TABLE} ORDER BY action LIMIT 1)
            UNION ALL
            SELECT (SELECT e.action FROM {_TABLE} e WHERE e.action > a.action ORDER BY e.action LIMIT 1)
            FROM a WHERE a.action IS NOT NULL
        )
        SELECT action FROM a WHERE action IS NOT NULL LIMIT %s
    """  # noqa: S608 (the table name is ours; the limit is bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [row[0] for row in cursor.fetchall()]
