# No "from __future__ import annotations": django-ninja reads these annotations as real types.
import datetime as dt

from ninja import Router, Schema, Status

from audiences.models import ExclusionList, Segment

from ..models import Campaign, Sender, Template
from ..selectors import campaign_counters, valid_approvals
from ..services import (
    campaign_approve,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_preflight_run,
    campaign_reject,
    campaign_release,
    campaign_resume,
    campaign_submit,
    campaign_test_send,
    campaign_update,
)
from .common import APPROVERS, OPERATORS, READERS, STEERERS, error, not_found, service_errors

router = Router()
_RELATIONS = {"template": Template, "segment": Segment, "exclusion_list": ExclusionList, "sender": Sender}


class CampaignIn(Schema):
    name: str | None = None
    purpose: str | None = None
    template: int | None = None
    segment: int | None = None
    exclusion_list: int | None = None
    sender: int | None = None
    send_at: dt.datetime | None = None
    window_start_hour: int | None = None
    window_end_hour: int | None = None
    window_weekdays: list[int] | None = None
    window_tz: str | None = None
    throttle_per_s: int | None = None
    importance_label: bool | None = None
    test_addresses: list[str] | None = None
    pilot_percentage: int | None = None


class CampaignOut(Schema):
    id: int
    name: str
    purpose: str
    channel: str
    state: str
    template: int
    template_version: int | None
    segment: int | None
    exclusion_list: int | None
    sender: int | None
    send_at: dt.datetime | None
    window_start_hour: int
    window_end_hour: int
    window_weekdays: list[int]
    window_tz: str
    throttle_per_s: int
    importance_label: bool
    test_addresses: list[str]
    pilot_percentage: int
    content_hash: str
    approvals_required: int
    approvals: int
    created_by: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    pilot_released_at: dt.datetime | None
    preflight: list[dict]
    preflight_summary: dict


class StatusOut(Schema):
    id: int
    state: str
    status_reason: str
    content_hash: str
    approvals: int
    approvals_required: int
    counters: dict
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


class ApproveIn(Schema):
    seen_hash: str
    comment: str = ""


class RejectIn(Schema):
    comment: str
    seen_hash: str = ""


class ReasonIn(Schema):
    reason: str = ""


def _out(campaign: Campaign) -> dict:
    data = {name: getattr(campaign, name) for name in CampaignOut.model_fields if hasattr(campaign, name)}
    data.update({
        "template": campaign.template_id, "template_version": campaign.template_version_id,
        "segment": campaign.segment_id, "exclusion_list": campaign.exclusion_list_id, "sender": campaign.sender_id,
        "created_by": campaign.created_by.get_username(),
        "approvals": valid_approvals(campaign).count() if campaign.content_hash else 0,
    })
    return data


def _fields(payload: CampaignIn) -> dict | str:
    """The payload's given fields with related ids resolved; an error code string for an unknown id."""
    fields = payload.dict(exclude_unset=True)
    for name, model in _RELATIONS.items():
        if fields.get(name) is not None:
            obj = model.objects.filter(pk=fields[name]).first()
            if obj is None:
                return name
            fields[name] = obj
    return fields


def _get(campaign_id: int) -> Campaign | None:
    return Campaign.objects.select_related("template", "sender", "segment", "created_by").filter(
        pk=campaign_id).first()


@router.get("/campaigns", response=list[CampaignOut], auth=READERS, summary="Campaigns, newest first")
def list_campaigns(request, state: str = "", limit: int = 100):
    campaigns = Campaign.objects.select_related("template", "created_by").order_by("-id")
    if state:
        campaigns = campaigns.filter(state=state)
    return [_out(c) for c in campaigns[: max(1, min(limit, 500))]]


@router.post("/campaigns", response={201: CampaignOut}, auth=OPERATORS, summary="Create a draft campaign")
@service_errors
def create_campaign(request, payload: CampaignIn):
    fields = _fields(payload)
    if isinstance(fields, str):
        return error(400, f"campaign.unknown_{fields}", f"No such {fields}.", field=fields)
    template = fields.get("template")
    if template is not None:
        fields.setdefault("channel", template.channel)
    return Status(201, _out(campaign_create(user=request.auth, request=request, **fields)))


@router.get("/campaigns/{campaign_id}", response=CampaignOut, auth=READERS, summary="A campaign")
def get_campaign(request, campaign_id: int):
    campaign = _get(campaign_id)
    return _out(campaign) if campaign else not_found()


@router.patch("/campaigns/{campaign_id}", response=CampaignOut, auth=OPERATORS,
              summary="Edit a campaign (after submission: voids approvals, back to draft)")
@service_errors
def update_campaign(request, campaign_id: int, payload: CampaignIn):
    campaign = _get(campaign_id)
    if campaign is None:
        return not_found()
    fields = _fields(payload)
    if isinstance(fields, str):
        return error(400, f"campaign.unknown_{fields}", f"No such {fields}.", field=fields)
    if "template" in fields and fields["template"] is not None:
        fields["channel"] = fields["template"].channel
    return _out(campaign_update(campaign=campaign, user=request.auth, request=request, **fields))


@router.delete("/campaigns/{campaign_id}", response={200: CampaignOut}, auth=OPERATORS,
               summary="Cancel a campaign (campaigns are never deleted: their history is evidence)")
@service_errors
def delete_campaign(request, campaign_id: int, reason: str = ""):
    campaign = _get(campaign_id)
    if campaign is None:
        return not_found()
    campaign = campaign_cancel(campaign=campaign, user=request.auth, request=request, reason=reason)
    return Status(200, _out(campaign))


@router.get("/campaigns/{campaign_id}/status", response=StatusOut, auth=READERS,
            summary="State and live delivery counters")
def campaign_status(request, campaign_id: int):
    campaign = _get(campaign_id)
    if campaign is None:
        return not_found()
    return {"id": campaign.pk, "state": campaign.state, "status_reason": campaign.status_reason,
            "content_hash": campaign.content_hash,
            "approvals": valid_approvals(campaign).count() if campaign.content_hash else 0,
            "approvals_required": campaign.approvals_required, "counters": campaign_counters(campaign),
            "started_at": campaign.started_at, "completed_at": campaign.completed_at}


def _action(path: str, service, auth, summary: str, schema=None):
    def handle(request, campaign_id: int, payload):
        campaign = _get(campaign_id)
        if campaign is None:
            return not_found()
        extra = payload.dict() if payload is not None else {}
        result = service(campaign=campaign, user=request.auth, request=request, **extra)
        return _out(result) if isinstance(result, Campaign) else _out(campaign)

    if schema is None:
        def view(request, campaign_id: int):
            return handle(request, campaign_id, None)
    else:
        def view(request, campaign_id: int, payload: schema = None):
            return handle(request, campaign_id, payload)

    view.__name__ = f"campaign_{path.replace('-', '_')}"
    router.post(f"/campaigns/{{campaign_id}}/{path}", response=CampaignOut, auth=auth, summary=summary,
                operation_id=view.__name__)(service_errors(view))


_action("submit", campaign_submit, OPERATORS, "Submit: pin version and audience, preflight, record the hash")
_action("approve", campaign_approve, APPROVERS, "Approve (permission, not an author, the hash you reviewed)",
        ApproveIn)
_action("reject", campaign_reject, APPROVERS, "Reject with a comment (back to the author)", RejectIn)
_action("cancel", campaign_cancel, OPERATORS, "Cancel (any state before completion)", ReasonIn)
_action("pause", campaign_pause, STEERERS, "Pause a sending campaign", ReasonIn)
_action("resume", campaign_resume, STEERERS, "Resume a paused campaign")
_action("release", campaign_release, OPERATORS, "After a pilot: release the rest of the audience")
_action("preflight", campaign_preflight_run, STEERERS, "Run preflight again and keep the findings")


@router.post("/campaigns/{campaign_id}/test-send", response=dict, auth=OPERATORS,
             summary="Send the message to the campaign's test group")
@service_errors
def test_send(request, campaign_id: int):
    campaign = _get(campaign_id)
    if campaign is None:
        return not_found()
    sent = campaign_test_send(campaign=campaign, user=request.auth, request=request)
    return {"id": sent.pk, "status": sent.status, "addresses": sent.addresses, "results": sent.results,
            "content_hash": sent.content_hash}

