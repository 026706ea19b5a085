"""Reads for the campaign monitor page and its JSON endpoint: live counters, throughput over time, ETA,
errors by code, the complaint-rate level. A few indexed queries, whatever the campaign's size: counters
are one GROUP BY over the claim index, throughput comes from the tick's progress samples."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from ..models import Campaign, Delivery, DeliverySample
from ..selectors import campaign_counters
from .complaints import complaint_rate
from .finish import awaiting_release

D = Delivery.Status
REASON_STATES = (Campaign.State.PAUSED, Campaign.State.FAILED, Campaign.State.CANCELLED)
SAMPLES = 150  # five minutes at the default tick
RATE_WINDOW = dt.timedelta(seconds=60)  # the ETA uses the last minute's rate
# Twilio error categories the monitor calls out (the rest are listed by code).
CALLED_OUT = {"twilio.30007": "carrier_filtered", "twilio.30006": "landline", "twilio.30003": "unreachable",
              "twilio.30005": "unknown_destination", "twilio.21610": "unsubscribed"}


def errors_by_code(campaign: Campaign, *, limit: int = 20) -> list[dict]:
    rows = (Delivery.objects.filter(campaign=campaign, status__in=(D.FAILED, D.BOUNCED)).exclude(error_code="")
            .values("error_code").annotate(n=Count("id")).order_by("-n", "error_code")[:limit])
    return [{"code": r["error_code"], "count": r["n"], "category": CALLED_OUT.get(r["error_code"], "")} for r in rows]


def retrying_by_code(campaign: Campaign, *, limit: int = 10) -> list[dict]:
    rows = (Delivery.objects.filter(campaign=campaign, status=D.PENDING).exclude(error_code="")
            .values("error_code").annotate(n=Count("id")).order_by("-n", "error_code")[:limit])
    return [{"code": r["error_code"], "count": r["n"]} for r in rows]


def throughput(campaign: Campaign) -> list[dict]:
    """Messages finished per second between consecutive samples, oldest first."""
    samples = list(DeliverySample.objects.filter(campaign=campaign).order_by("-at")[:SAMPLES])[::-1]
    points = []
    for before, after in zip(samples, samples[1:], strict=False):
        seconds = (after.at - before.at).total_seconds()
        if seconds > 0:
            points.append({"at": after.at.isoformat(), "per_s": round(max(0, after.done - before.done) / seconds, 1)})
    return points


def _rate(campaign: Campaign) -> float | None:
    latest = DeliverySample.objects.filter(campaign=campaign).order_by("-at").first()
    if latest is None:
        return None
    earlier = (DeliverySample.objects.filter(campaign=campaign, at__lte=latest.at - RATE_WINDOW).order_by("-at")
               .first() or DeliverySample.objects.filter(campaign=campaign).order_by("at").first())
    seconds = (latest.at - earlier.at).total_seconds()
    return (latest.done - earlier.done) / seconds if seconds > 0 else None


def monitor_data(campaign: Campaign) -> dict:
    counters = campaign_counters(campaign)
    remaining = counters[D.PENDING] + counters[D.SENDING]
    rate = _rate(campaign) if campaign.state == Campaign.State.SENDING else None
    eta_s = round(remaining / rate) if rate and remaining and campaign.state == Campaign.State.SENDING else None
    complaints = complaint_rate(campaign)
    return {
        "campaign": campaign.pk,
        "state": campaign.state,
        "state_label": str(campaign.get_state_display()),
        # The reason of a pause stays on the campaign after a resume; show it only while it applies.
        "status_reason": campaign.status_reason if campaign.state in REASON_STATES else "",
        "final": campaign.state in Campaign.FINAL,
        "awaiting_release": campaign.state in (Campaign.State.SENDING, Campaign.State.PAUSED)
        and awaiting_release(campaign) and campaign.pilot_released_at is None,
        "counters": {status: counters[status] for status in D.values} | {"total": counters["total"]},
        "skipped_by_reason": counters["skipped_by_reason"],
        "errors": errors_by_code(campaign),
        "retrying": retrying_by_code(campaign),
        "throughput": throughput(campaign),
        "rate_per_s": round(rate, 1) if rate is not None else None,
        "eta_s": eta_s,
        "complaints": {"count": complaints.complaints, "delivered": complaints.delivered,
                       "percent": round(complaints.percent, 3), "level": complaints.level},
        "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
        "completed_at": campaign.completed_at.isoformat() if campaign.completed_at else None,
        "now": timezone.now().isoformat(),
    }
