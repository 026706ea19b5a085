"""The campaign monitor: live counters, throughput, ETA, errors by code, and pause/resume/cancel.

The page renders once and then polls ``monitor.json`` every few seconds. The buttons call the
campaigns lifecycle services (the same as the campaign page's) and come back here.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from notify_console.roles import ADMIN, APPROVER, AUDITOR, OPERATOR, role_required, user_roles

from .dispatch.monitor import monitor_data
from .models import Delivery
from .services import campaign_cancel, campaign_pause, campaign_resume
from .views._common import get_campaign, run_action

POLL_MS = 2000
SKIP_REASONS = {
    "excluded": _("on the exclusion list"),
    "no_contact": _("no address for the channel"),
    "not_mobile": _("not a mobile number"),
    "no_consent": _("no marketing consent"),
    "suppressed.opt_out": _("opted out"),
    "suppressed.hard_bounce": _("hard bounce"),
    "suppressed.complaint": _("complaint"),
    "suppressed.legal_hold": _("legal hold"),
    "suppressed.do_not_contact": _("do not contact"),
    "suppressed.manual": _("suppressed by hand"),
    "cancelled": _("campaign cancelled"),
    "address_changed": _("address changed after the start"),
    "recipient_gone": _("recipient deleted"),
}
ERROR_CATEGORIES = {
    "carrier_filtered": _("filtered by the carrier"),
    "landline": _("landline or unreachable carrier"),
    "unreachable": _("unreachable handset"),
    "unknown_destination": _("unknown handset"),
    "unsubscribed": _("recipient replied STOP"),
}


def _counters(data: dict) -> list[tuple[str, str, int]]:
    labels = dict(Delivery.Status.choices)
    rows = [(status, labels[status], data["counters"][status]) for status in Delivery.Status.values]
    return [*rows, ("total", _("Total"), data["counters"]["total"])]


@role_required(OPERATOR, APPROVER, AUDITOR, ADMIN)
def monitor(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    data = monitor_data(campaign)
    roles = user_roles(request.user)
    return render(request, "campaigns/monitor.html", {
        "campaign": campaign, "data": data, "counters": _counters(data), "poll_ms": POLL_MS,
        "labels": {"reasons": {k: str(v) for k, v in SKIP_REASONS.items()},
                   "categories": {k: str(v) for k, v in ERROR_CATEGORIES.items()}},
        "can_steer": bool(roles & {OPERATOR, APPROVER, ADMIN}), "can_cancel": bool(roles & {OPERATOR, ADMIN}),
    })


@role_required(OPERATOR, APPROVER, AUDITOR, ADMIN)
def monitor_json(request, campaign_id: int):
    return JsonResponse(monitor_data(get_campaign(campaign_id)), json_dumps_params={"ensure_ascii": False})


def _back(campaign_id: int) -> str:
    from django.urls import reverse

    return reverse("campaigns:monitor", args=[campaign_id])


@role_required(OPERATOR, APPROVER, ADMIN)
@require_POST
def monitor_pause(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    reason = request.POST.get("reason", "").strip()[:500]
    return run_action(request, campaign_pause, success=_("Paused."), to=_back(campaign.pk), campaign=campaign,
                      reason=reason)


@role_required(OPERATOR, APPROVER, ADMIN)
@require_POST
def monitor_resume(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    return run_action(request, campaign_resume, success=_("Resumed."), to=_back(campaign.pk), campaign=campaign)


@role_required(OPERATOR, ADMIN)
@require_POST
def monitor_cancel(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    if request.POST.get("confirmed") != "yes":
        return redirect(_back(campaign.pk))
    reason = request.POST.get("reason", "").strip()[:500]
    return run_action(request, campaign_cancel, success=_("Cancelled."), to=_back(campaign.pk), campaign=campaign,
                      reason=reason)
