"""Reads for the send log: pages of deliveries, each delivery's status history, a campaign's approvals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from ..models import AuditEvent
from .filters import DeliveryFilter
from .models import campaigns_model, delivery_model

PAGE_SIZE = 50


def filtered_deliveries(filters: DeliveryFilter) -> QuerySet:
    return filters.apply(delivery_model().objects.all())


def delivery_page(filters: DeliveryFilter, *, before_id: int | None = None, size: int = PAGE_SIZE):
    """One page of deliveries, newest first (keyset on id), with the recipient's customer number."""
    rows = filtered_deliveries(filters).select_related("recipient").only(
        "id", "campaign_id", "recipient_id", "recipient__external_id", "channel", "address", "status",
        "skip_reason", "attempts", "provider_id", "error_code", "created_at", "updated_at", "sent_at",
    )
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    rows = list(rows.order_by("-id")[: size + 1])
    return rows[:size], (rows[size - 1].id if len(rows) > size else None)


def _history_key(event: AuditEvent) -> tuple[int | None, str]:
    return event.recipient_id, event.channel


def histories(campaign_id: int, deliveries: list) -> dict[int, list[AuditEvent]]:
    """Each delivery's events (oldest first), fetched for a whole page in one query.

    Events of the campaign for the delivery's recipient on its channel, plus the recipient's events
    without a channel (a skip for suppression, say).
    """
    if not deliveries:
        return {}
    events = AuditEvent.objects.filter(
        campaign_id=campaign_id, recipient_id__in={d.recipient_id for d in deliveries}
    ).order_by("at", "id")
    by_key: dict[tuple[int | None, str], list[AuditEvent]] = defaultdict(list)
    for event in events:
        by_key[_history_key(event)].append(event)
    result = {}
    for delivery in deliveries:
        mine = by_key.get((delivery.recipient_id, delivery.channel), []) + by_key.get((delivery.recipient_id, ""), [])
        result[delivery.id] = sorted(mine, key=lambda e: (e.at, e.id))
    return result


def delivery_history(delivery) -> list[AuditEvent]:
    return histories(delivery.campaign_id, [delivery])[delivery.id]


@dataclass
class CampaignRecord:
    campaign: Any
    approvals: list = field(default_factory=list)
    lifecycle: list[AuditEvent] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def campaign_record(campaign_id: int) -> CampaignRecord | None:
    """The campaign, every approval decision (voided ones too), its lifecycle events and delivery counts."""
    campaign = campaigns_model("Campaign").objects.filter(pk=campaign_id).select_related(
        "created_by", "submitted_by", "template", "template_version").first()
    if campaign is None:
        return None
    approvals = list(campaigns_model("Approval").objects.filter(campaign_id=campaign_id)
                     .select_related("approver").order_by("decided_at", "id"))
    lifecycle = list(AuditEvent.objects.filter(campaign_id=campaign_id, action__startswith="campaign.")
                     .order_by("at", "id")[:500])
    counts = dict(delivery_model().objects.filter(campaign_id=campaign_id).values_list("status")
                  .annotate(n=Count("id")).order_by())
    return CampaignRecord(campaign, approvals, lifecycle, counts)
