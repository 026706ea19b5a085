"""What beat runs every ``DISPATCH_TICK_S``: everything the pipeline does on its own initiative.

Starting due campaigns and materialising released pilots is handed to tasks (one per campaign, so a
10^6-row materialisation does not hold up the tick); the rest is a few indexed queries per sending
campaign. Every step is idempotent: two ticks at once, or a tick that runs late, do no harm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from ..models import Campaign, Delivery, DeliverySample
from . import clock
from .batch import window_open
from .fanout import fan_out, sweep
from .finish import campaign_finish_if_done, skip_cancelled_leftovers, status_counts

S = Campaign.State
D = Delivery.Status


@dataclass
class TickReport:
    starting: list[int] = field(default_factory=list)
    releasing: list[int] = field(default_factory=list)
    fanned_out: list[int] = field(default_factory=list)
    swept: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    cancelled_rows: int = 0


def _due_pending(campaign_id: int, now: dt.datetime):
    return Delivery.objects.filter(campaign_id=campaign_id, status=D.PENDING).filter(
        Q(available_at__isnull=True) | Q(available_at__lte=now))


# A campaign that is moving is still swept every this many SEND_STALL_S: rows whose task was lost while
# others kept the campaign busy (a killed worker's reserved tasks, a retry's countdown it was holding)
# should not wait for the whole campaign to finish. A sweep is one batch; a duplicate claims nothing.
SWEEP_EVERY_STALLS = 6


def _stalled(campaign: Campaign, now: dt.datetime) -> bool:
    stall = dt.timedelta(seconds=settings.SEND_STALL_S)
    recent = [t for t in (campaign.last_progress_at, campaign.last_fanout_at) if t is not None]
    quiet = not recent or max(recent) <= now - stall
    overdue = campaign.last_fanout_at is None or campaign.last_fanout_at <= now - stall * SWEEP_EVERY_STALLS
    if not (quiet or overdue):
        return False
    return _due_pending(campaign.pk, now).exists()


def _needs_fanout(campaign: Campaign) -> bool:
    """A batch stopped for a pause or a closed window (it set the flag), or the campaign entered
    ``sending`` again (resumed) after its last fan-out."""
    if campaign.needs_fanout:
        return bool(Campaign.objects.filter(pk=campaign.pk, needs_fanout=True).update(needs_fanout=False))
    return campaign.last_fanout_at is not None and campaign.state_changed_at > campaign.last_fanout_at


def sample(campaign_id: int, now: dt.datetime) -> DeliverySample:
    counts = status_counts(campaign_id)
    return DeliverySample.objects.create(campaign_id=campaign_id, at=now, **{s: counts[s] for s in D.values})


def tick(*, start=None, release=None) -> TickReport:
    """One round. ``start``/``release``: callables taking a campaign id (the tasks that do the heavy part)."""
    now = clock.now()
    report = TickReport()
    due = Campaign.objects.filter(state=S.APPROVED).filter(Q(send_at__isnull=True) | Q(send_at__lte=now))
    report.starting = list(due.values_list("id", flat=True))
    released = Campaign.objects.filter(state__in=(S.SENDING, S.PAUSED), pilot_released_at__isnull=False,
                                       rest_materialised_at__isnull=True, materialised_at__isnull=False)
    report.releasing = list(released.values_list("id", flat=True))
    for campaign_id in report.starting:
        start(campaign_id)
    for campaign_id in report.releasing:
        release(campaign_id)

    sending = Campaign.objects.filter(state=S.SENDING).defer("preflight", "preflight_summary", "segment_definition")
    for campaign in sending:
        if window_open(campaign, now):
            if _needs_fanout(campaign):
                fan_out(campaign.pk, now=now)
                report.fanned_out.append(campaign.pk)
            elif _stalled(campaign, now) and sweep(campaign.pk, now=now):
                report.swept.append(campaign.pk)
        if campaign_finish_if_done(campaign_id=campaign.pk):
            report.completed.append(campaign.pk)
        sample(campaign.pk, now)

    leftovers = Campaign.objects.filter(state=S.CANCELLED).filter(
        Exists(Delivery.objects.filter(campaign=OuterRef("pk"), status=D.PENDING)))
    for campaign_id in leftovers.values_list("id", flat=True):
        report.cancelled_rows += skip_cancelled_leftovers(campaign_id=campaign_id)
    return report
