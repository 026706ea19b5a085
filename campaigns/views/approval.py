"""The approver's pages: the queue, the approval page, and the approve/reject actions."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notify_console.roles import ADMIN, APPROVER, role_required

from ..forms import ApproveForm, RejectForm
from ..models import Campaign
from ..permissions import user_may_approve
from ..review import review_context
from ..selectors import approval_queue, authors_of, valid_approvals
from ..services import CampaignError, campaign_approve, campaign_reject
from ._common import get_campaign


@role_required(APPROVER, ADMIN)
def queue(request):
    return render(request, "campaigns/queue.html", {"campaigns": approval_queue(request.user)})


def _blocker(campaign: Campaign, user) -> str:
    """Why this user cannot decide on this campaign now ('' = they can)."""
    if campaign.state != Campaign.State.PENDING_APPROVAL:
        return _("This campaign is not waiting for approval.")
    if not user_may_approve(user):
        return _("You may not approve campaigns.")
    if user.pk in authors_of(campaign):
        return _("You wrote, edited or submitted this campaign; someone else must approve it.")
    if valid_approvals(campaign).filter(approver=user).exists():
        return _("You have approved this campaign; it waits for another approver.")
    return ""


@role_required(APPROVER, ADMIN)
def review(request, campaign_id: int, approve_form=None, reject_form=None):
    campaign = get_campaign(campaign_id)
    context = review_context(campaign)
    context.update({
        "blocker": _blocker(campaign, request.user),
        "approve_form": approve_form or ApproveForm(initial={"seen_hash": campaign.content_hash}),
        "reject_form": reject_form or RejectForm(initial={"seen_hash": campaign.content_hash}),
    })
    return render(request, "campaigns/review.html", context)


@role_required(APPROVER, ADMIN)
@require_POST
def approve(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return review(request, campaign_id, approve_form=form)
    try:
        campaign = campaign_approve(campaign=campaign, user=request.user, seen_hash=form.cleaned_data["seen_hash"],
                                    comment=form.cleaned_data["comment"], request=request)
    except CampaignError as exc:
        messages.error(request, exc.message)
        return redirect("campaigns:review", campaign_id=campaign.pk)
    if campaign.state == Campaign.State.APPROVED:
        messages.success(request, _("Approved. The campaign may now be sent."))
    else:
        messages.success(request, _("Your approval is recorded; another approver must approve too."))
    return redirect("campaigns:queue")


@role_required(APPROVER, ADMIN)
@require_POST
def reject(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return review(request, campaign_id, reject_form=form)
    try:
        campaign_reject(campaign=campaign, user=request.user, comment=form.cleaned_data["comment"],
                        seen_hash=form.cleaned_data["seen_hash"], request=request)
    except CampaignError as exc:
        messages.error(request, exc.message)
        return redirect("campaigns:review", campaign_id=campaign.pk)
    messages.success(request, _("Rejected; the author can edit and submit again."))
    return redirect("campaigns:queue")
