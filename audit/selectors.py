"""Reads of the audit table for the auditor's pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import AuditEvent


@dataclass(frozen=True)
class EventFilter:
    action: str = ""
    actor: str = ""
    campaign_id: int | None = None

    def apply(self, events: QuerySet) -> QuerySet:
        if self.action:
            events = events.filter(action__startswith=self.action)
        if self.actor:
            events = events.filter(actor=self.actor)
        if self.campaign_id is not None:
            events = events.filter(campaign_id=self.campaign_id)
        return events


def event_page(filters: EventFilter, *, before_id: int | None, size: int = 50) -> tuple[list[AuditEvent], int | None]:
    """One page, newest first, keyset-paginated on id so page 10,000 costs what page 1 costs."""
    events = filters.apply(AuditEvent.objects.all())
    if before_id is not None:
        events = events.filter(id__lt=before_id)
    rows = list(events.order_by("-id")[: size + 1])
    next_before = rows[size - 1].id if len(rows) > size else None
    return rows[:size], next_before
