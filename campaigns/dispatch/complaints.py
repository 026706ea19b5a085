"""The complaint-rate guard (the big mailbox providers' bulk-sender rules, 2024).

Complaints over delivered messages, once at least ``COMPLAINT_MIN_SAMPLE`` were delivered: above
``COMPLAINT_WARN_BP`` (0.1 %) the monitor page warns; at ``COMPLAINT_PAUSE_BP`` (0.3 %) the campaign
pauses itself and says why. "Delivered" is sent or delivered: most mail systems never confirm delivery.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from ..models import Campaign, Delivery
from ..services import CampaignError, campaign_transition
from . import ACTOR


@dataclass(frozen=True)
class ComplaintRate:
    complaints: int
    delivered: int

    @property
    def basis_points(self) -> float:
        return self.complaints * 10_000 / self.delivered if self.delivered else 0.0

    @property
    def percent(self) -> float:
        return self.basis_points / 100

    @property
    def sampled(self) -> bool:
        return self.delivered >= settings.COMPLAINT_MIN_SAMPLE

    @property
    def level(self) -> str:
        """"" (fine or too few to tell), "warn" or "pause"."""
        if not self.sampled or not self.complaints:
            return ""
        if self.basis_points >= settings.COMPLAINT_PAUSE_BP:
            return "pause"
        if self.basis_points > settings.COMPLAINT_WARN_BP:
            return "warn"
        return ""


def complaint_rate(campaign: Campaign) -> ComplaintRate:
    delivered = Delivery.objects.filter(campaign=campaign, status__in=(Delivery.Status.SENT,
                                                                       Delivery.Status.DELIVERED)).count()
    return ComplaintRate(complaints=campaign.count_complaints, delivered=delivered)


def complaint_guard(*, campaign_id: int) -> str:
    """Pause a sending campaign whose complaint rate reached the limit; returns the level."""
    campaign = Campaign.objects.get(pk=campaign_id)
    rate = complaint_rate(campaign)
    if rate.level == "pause" and campaign.state == Campaign.State.SENDING:
        reason = _("Paused automatically: complaint rate %(rate).2f %% of %(delivered)s delivered reached the "
                   "%(limit).1f %% limit.") % {"rate": rate.percent, "delivered": rate.delivered,
                                                "limit": settings.COMPLAINT_PAUSE_BP / 100}
        with contextlib.suppress(CampaignError):  # paused or finished meanwhile
            campaign_transition(campaign_id=campaign_id, to_state=Campaign.State.PAUSED, actor=ACTOR, reason=reason,
                                complaints=rate.complaints, delivered=rate.delivered)
    return rate.level
