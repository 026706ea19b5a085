"""The end of a campaign: completed with its counters once no row is pending or sending; the rows a
cancelled campaign never sent become ``skipped`` (reason ``cancelled``) so every recipient ends with a
row in a final state."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from audit.services import record_from_select

from ..models import Campaign, Delivery
from ..services import CampaignError, campaign_transition
from . import ACTOR, clock
from .sql import json_object, table, ts

S = Campaign.State
D = Delivery.Status
OPEN = (D.PENDING, D.SENDING)


def status_counts(campaign_id: int) -> dict[str, int]:
    counts = dict.fromkeys(D.values, 0)
    rows = Delivery.objects.filter(campaign_id=campaign_id).values("status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def _counter_fields(counts: dict[str, int]) -> dict[str, int]:
    return {
        "count_total": sum(counts.values()),
        "count_sent": counts[D.SENT] + counts[D.DELIVERED],
        "count_delivered": counts[D.DELIVERED],
        "count_failed": counts[D.FAILED],
        "count_bounced": counts[D.BOUNCED],
        "count_skipped": counts[D.SKIPPED],
    }


def save_counters(campaign_id: int) -> dict[str, int]:
    fields = _counter_fields(status_counts(campaign_id))
    Campaign.objects.filter(pk=campaign_id).update(**fields)
    return fields


def awaiting_release(campaign: Campaign) -> bool:
    return bool(campaign.pilot_percentage) and campaign.rest_materialised_at is None


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """sending → completed when nothing is pending or sending (and no pilot waits for its release)."""
    if Delivery.objects.filter(campaign_id=campaign_id, status__in=OPEN).exists():
        return False
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.state != S.SENDING or awaiting_release(campaign):
            return False
        if Delivery.objects.filter(campaign_id=campaign_id, status__in=OPEN).exists():
            return False
        counters = save_counters(campaign_id)
        campaign_transition(campaign_id=campaign_id, to_state=S.COMPLETED, actor=ACTOR, counters=counters)
    return True


def campaign_fail(*, campaign_id: int, reason: str) -> bool:
    """sending/paused → failed (e.g. the pinned template no longer compiles); False if not possible."""
    try:
        campaign_transition(campaign_id=campaign_id, to_state=S.FAILED, actor=ACTOR, reason=reason)
    except CampaignError:
        return False
    save_counters(campaign_id)
    return True


def skip_cancelled_leftovers(*, campaign_id: int) -> int:
    """Pending rows of a cancelled campaign → skipped (cancelled), each with its audit event (set-based:
    the rows changed by this call are the ones stamped with its ``updated_at``)."""
    now = clock.now()
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign_id, state=S.CANCELLED).exists():
            return 0
        changed = Delivery.objects.filter(campaign_id=campaign_id, status=D.PENDING).update(
            status=D.SKIPPED, skip_reason="cancelled", available_at=None, updated_at=now)
        if not changed:
            return 0
        details = json_object(skip_reason="d.skip_reason", stage="'cancel'")
        select = (
            "SELECT %s, %s, 'send.skipped', 'campaigns.delivery', CAST(d.id AS TEXT), d.campaign_id, "
            f"d.recipient_id, d.channel, d.address, 'skipped', {details}, NULL, '' FROM {table(Delivery)} d "
            "WHERE d.campaign_id = %s AND d.status = 'skipped' AND d.skip_reason = 'cancelled' AND d.updated_at = %s "
            "ORDER BY d.id"
        )
        record_from_select(select, [ts(now), ACTOR, campaign_id, ts(now)])
        save_counters(campaign_id)
    return changed
