"""Campaign pages: list, create, edit, the campaign page with its actions, and the missing-field list."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from notify_console.roles import ADMIN, APPROVER, AUDITOR, OPERATOR, role_required

from ..forms import CampaignForm
from ..models import Campaign
from ..preflight.audience import lacking
from ..review import review_context
from ..selectors import campaign_audience, campaign_counters
from ..services import (
    CampaignError,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_preflight_run,
    campaign_release,
    campaign_resume,
    campaign_submit,
    campaign_test_send,
    campaign_update,
)
from ..services.campaigns import EDIT_STATES
from ._common import get_campaign, run_action


@role_required(OPERATOR, APPROVER, AUDITOR, ADMIN)
def campaign_list(request):
    campaigns = Campaign.objects.select_related("template", "created_by").order_by("-id")
    state = request.GET.get("state", "")
    if state in Campaign.State.values:
        campaigns = campaigns.filter(state=state)
    page = Paginator(campaigns, 50).get_page(request.GET.get("page"))
    return render(request, "campaigns/campaign_list.html",
                  {"page": page, "states": Campaign.State.choices, "state": state})


def _save(request, form, campaign=None):
    try:
        if campaign is None:
            return campaign_create(user=request.user, request=request, **form.service_fields())
        return campaign_update(campaign=campaign, user=request.user, request=request, **form.service_fields())
    except CampaignError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@role_required(OPERATOR, ADMIN)
def campaign_new(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = _save(request, form)
        if campaign is not None:
            messages.success(request, _("Campaign created as a draft."))
            return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


@role_required(OPERATOR, ADMIN)
def campaign_edit(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    if campaign.state not in EDIT_STATES:
        messages.error(request, _("This campaign can no longer be edited."))
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    form = CampaignForm(request.POST or None, initial=CampaignForm.initial_from(campaign))
    if request.method == "POST" and form.is_valid():
        updated = _save(request, form, campaign)
        if updated is not None:
            if campaign.state != updated.state:
                messages.warning(request, _("The campaign changed after submission: approvals are void and it is a "
                                            "draft again."))
            else:
                messages.success(request, _("Saved."))
            return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


@role_required(OPERATOR, APPROVER, AUDITOR, ADMIN)
def campaign_detail(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    context = review_context(campaign)
    context.update({"counters": campaign_counters(campaign), "editable": campaign.state in EDIT_STATES})
    return render(request, "campaigns/campaign_detail.html", context)


def _action(service, success):
    @role_required(OPERATOR, ADMIN)
    @require_POST
    def view(request, campaign_id: int):
        campaign = get_campaign(campaign_id)
        extra = {"reason": request.POST.get("reason", "")} if service in (campaign_cancel, campaign_pause) else {}
        return run_action(request, service, success=success, campaign=campaign,
                          to=reverse("campaigns:detail", args=[campaign.pk]), **extra)

    return view


campaign_submit_view = _action(campaign_submit, gettext_lazy("Submitted for approval."))
campaign_cancel_view = _action(campaign_cancel, gettext_lazy("Cancelled."))
campaign_release_view = _action(campaign_release, gettext_lazy("The rest of the audience is released."))


def _operator_or_approver(service, success):
    @role_required(OPERATOR, APPROVER, ADMIN)
    @require_POST
    def view(request, campaign_id: int):
        campaign = get_campaign(campaign_id)
        return run_action(request, service, success=success, campaign=campaign,
                          to=reverse("campaigns:detail", args=[campaign.pk]))

    return view


campaign_pause_view = _operator_or_approver(campaign_pause, gettext_lazy("Paused."))
campaign_resume_view = _operator_or_approver(campaign_resume, gettext_lazy("Resumed."))
campaign_preflight_view = _operator_or_approver(campaign_preflight_run, gettext_lazy("Preflight ran again."))


@role_required(OPERATOR, ADMIN)
@require_POST
def campaign_test_send_view(request, campaign_id: int):
    campaign = get_campaign(campaign_id)
    try:
        test_send = campaign_test_send(campaign=campaign, user=request.user, request=request)
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        if test_send.status == test_send.Status.SENT:
            messages.success(request, _("Test message sent to %(n)s addresses.") % {"n": len(test_send.addresses)})
        else:
            messages.error(request, _("The test send failed for some addresses; see below."))
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@role_required(OPERATOR, APPROVER, ADMIN)
def missing_field(request, campaign_id: int, field: str):
    """The recipients of the campaign's audience who lack ``field`` or have it empty (preflight's link)."""
    campaign = get_campaign(campaign_id)
    recipients = lacking(campaign_audience(campaign), field)
    page = Paginator(recipients.order_by("id").only("id", "external_id", "name", "email", "phone"), 100)
    return render(request, "campaigns/missing_field.html", {
        "campaign": campaign, "field": field, "page": page.get_page(request.GET.get("page")),
        "count": page.count,
    })
