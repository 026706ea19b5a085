from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from ..models import Campaign
from ..services import CampaignError

CAMPAIGN_VIEWERS = ("operator", "approver", "auditor", "admin")


def get_campaign(campaign_id: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("template", "template_version", "segment", "sender", "exclusion_list",
                                        "created_by", "submitted_by"), pk=campaign_id)


def run_action(request, action, *, success: str, to: str, **kwargs):
    """Call a service; show its refusal as a message instead of an error page."""
    try:
        action(request=request, user=request.user, **kwargs)
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(to)
