"""The campaign state machine: every transition is here, guarded, atomic, and audited with the hash.

    draft ─submit→ pending_approval ─approve (×N)→ approved ─start→ sending ⇄ paused → completed
    pending_approval ─reject→ rejected (editable; edit → draft, or submit again)
    edit after submission → draft (approvals voided);  cancel: any state before completed
    sending/paused → failed (delivery side)

``approved → sending`` and the end states are the delivery side's: it calls ``campaign_transition``
with a system actor. Everything a person does has its own function below.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..hashing import content_hash
from ..models import Approval, Campaign
from ..permissions import user_may_approve
from ..preflight.runner import run_preflight
from ..selectors import authors_of, valid_approvals
from ._audit import record_campaign
from .errors import CampaignError

S = Campaign.State
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.PENDING_APPROVAL, S.CANCELLED},
    S.REJECTED: {S.PENDING_APPROVAL, S.DRAFT, S.CANCELLED},
    S.PENDING_APPROVAL: {S.APPROVED, S.REJECTED, S.DRAFT, S.CANCELLED},
    S.APPROVED: {S.SENDING, S.DRAFT, S.CANCELLED},
    S.SENDING: {S.PAUSED, S.COMPLETED, S.FAILED, S.CANCELLED},
    S.PAUSED: {S.SENDING, S.FAILED, S.CANCELLED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
    S.FAILED: set(),
}
_TIMESTAMP = {S.APPROVED: "approved_at", S.SENDING: "started_at", S.PAUSED: "paused_at",
              S.COMPLETED: "completed_at", S.CANCELLED: "cancelled_at"}


def _locked(campaign: Campaign | int) -> Campaign:
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins to sender/segment.
    return Campaign.objects.select_for_update(of=("self",)).select_related("template", "sender", "segment").get(pk=pk)


def _require(campaign: Campaign, *states: str) -> None:
    if campaign.state not in states:
        raise CampaignError("campaign.wrong_state", _("Not possible while the campaign is %(state)s.")
                            % {"state": campaign.get_state_display()})


def _move(campaign: Campaign, to: str, *, now=None) -> str:
    if to not in TRANSITIONS[campaign.state]:
        raise CampaignError("campaign.wrong_state", _("Not possible while the campaign is %(state)s.")
                            % {"state": campaign.get_state_display()})
    now = now or timezone.now()
    previous = campaign.state
    campaign.state, campaign.state_changed_at = to, now
    if to in _TIMESTAMP and not (to == S.SENDING and campaign.started_at):
        setattr(campaign, _TIMESTAMP[to], now)
    return previous


def campaign_submit(*, campaign: Campaign, user, request=None) -> Campaign:
    """Pin the template version and the segment definition, run preflight over the whole audience,
    and record the content hash. Preflight errors block submission; the findings and the refusal are
    kept (committed) so the author sees what to fix."""
    with transaction.atomic():
        campaign, refused = _submit(campaign, user=user, request=request)
    if refused:
        raise CampaignError("campaign.preflight_failed",
                            _("Preflight found errors; fix them before submitting."), details={"errors": refused})
    return campaign


def _submit(campaign: Campaign, *, user, request) -> tuple[Campaign, list[str]]:
    campaign = _locked(campaign)
    _require(campaign, S.DRAFT, S.REJECTED)
    version = campaign.template.latest_version
    if version is None:
        raise CampaignError("campaign.template_required", _("The template has no version."), status=400)
    campaign.template_version = version
    campaign.segment_definition = campaign.segment.rules if campaign.segment_id else None
    result = run_preflight(campaign)
    now = timezone.now()
    campaign.preflight = [f.to_json() for f in result.findings]
    campaign.preflight_summary, campaign.preflight_at = result.summary, now
    if result.has_errors:
        campaign.template_version, campaign.segment_definition = None, None
        campaign.save(update_fields=["preflight", "preflight_summary", "preflight_at"])
        codes = sorted({f.code for f in result.findings if f.blocks})
        record_campaign("campaign.submit_refused", campaign, user=user, request=request, outcome="refused",
                        errors=codes)
        return campaign, codes
    campaign.approvals_required = settings.APPROVALS_REQUIRED
    campaign.content_hash = content_hash(campaign)
    previous = _move(campaign, S.PENDING_APPROVAL, now=now)
    campaign.submitted_by, campaign.submitted_at, campaign.status_reason = user, now, ""
    campaign.save()
    record_campaign("campaign.submitted", campaign, user=user, request=request, previous_state=previous,
                    template_version_id=version.pk, approvals_required=campaign.approvals_required,
                    sendable=result.summary.get("sendable"), warnings=result.summary.get("warnings"))
    return campaign, []


def _check_approver(campaign: Campaign, user, seen_hash: str) -> None:
    if not user_may_approve(user):
        raise CampaignError("campaign.approve_not_permitted", _("You may not approve campaigns."), status=403)
    if user.pk in authors_of(campaign):
        raise CampaignError("campaign.approver_is_author",
                            _("You wrote, edited or submitted this campaign; someone else must approve it."),
                            status=403)
    if not seen_hash or seen_hash != campaign.content_hash:
        raise CampaignError("campaign.stale", _("The campaign changed after you opened it. Review it again."))
    if content_hash(campaign) != campaign.content_hash:
        # Something it depends on (e.g. the sender's details) changed outside the campaign itself.
        raise CampaignError("campaign.stale", _("What this campaign sends changed since it was submitted; "
                                                "it must be edited and submitted again."))


@transaction.atomic
def campaign_approve(*, campaign: Campaign, user, seen_hash: str, comment: str = "", request=None) -> Campaign:
    campaign = _locked(campaign)
    _require(campaign, S.PENDING_APPROVAL)
    _check_approver(campaign, user, seen_hash)
    if valid_approvals(campaign).filter(approver=user).exists():
        raise CampaignError("campaign.already_approved", _("You have already approved this campaign."))
    try:
        with transaction.atomic():
            Approval.objects.create(campaign=campaign, approver=user, decision=Approval.Decision.APPROVE,
                                    content_hash=campaign.content_hash, comment=comment)
    except IntegrityError:
        raise CampaignError("campaign.already_approved", _("You have already approved this campaign."))
    given = valid_approvals(campaign).count()
    if given < campaign.approvals_required:
        record_campaign("campaign.approval_recorded", campaign, user=user, request=request, outcome="partial",
                        approvals=given, approvals_required=campaign.approvals_required)
        return campaign
    previous = _move(campaign, S.APPROVED)
    campaign.save()
    record_campaign("campaign.approved", campaign, user=user, request=request, previous_state=previous,
                    approvals=given, approvals_required=campaign.approvals_required,
                    approvers=list(valid_approvals(campaign).values_list("approver__username", flat=True)))
    return campaign


@transaction.atomic
def campaign_reject(*, campaign: Campaign, user, comment: str, seen_hash: str = "", request=None) -> Campaign:
    campaign = _locked(campaign)
    _require(campaign, S.PENDING_APPROVAL)
    if not user_may_approve(user):
        raise CampaignError("campaign.approve_not_permitted", _("You may not reject campaigns."), status=403)
    comment = (comment or "").strip()
    if not comment:
        raise CampaignError("campaign.comment_required", _("Say why you reject the campaign."), status=400,
                            field="comment")
    now = timezone.now()
    Approval.objects.create(campaign=campaign, approver=user, decision=Approval.Decision.REJECT,
                            content_hash=campaign.content_hash, comment=comment, decided_at=now)
    campaign.approvals.filter(decision=Approval.Decision.APPROVE, voided_at__isnull=True).update(voided_at=now)
    previous = _move(campaign, S.REJECTED, now=now)
    campaign.status_reason = comment
    campaign.save()
    record_campaign("campaign.rejected", campaign, user=user, request=request, previous_state=previous,
                    comment=comment, seen_hash=seen_hash)
    return campaign


def _simple(campaign, *, to: str, action: str, user=None, actor=None, request=None, reason: str = "",
            allowed_from: tuple[str, ...] | None = None) -> Campaign:
    campaign = _locked(campaign)
    if allowed_from is not None:
        _require(campaign, *allowed_from)
    previous = _move(campaign, to)
    if reason:
        campaign.status_reason = reason
    campaign.save()
    record_campaign(action, campaign, user=user, actor=actor, request=request, previous_state=previous,
                    reason=reason)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, user, reason: str = "", request=None) -> Campaign:
    return _simple(campaign, to=S.CANCELLED, action="campaign.cancelled", user=user, request=request, reason=reason)


@transaction.atomic
def campaign_pause(*, campaign: Campaign, user, reason: str = "", request=None) -> Campaign:
    return _simple(campaign, to=S.PAUSED, action="campaign.paused", user=user, request=request, reason=reason,
                   allowed_from=(S.SENDING,))


@transaction.atomic
def campaign_resume(*, campaign: Campaign, user, request=None) -> Campaign:
    return _simple(campaign, to=S.SENDING, action="campaign.resumed", user=user, request=request,
                   allowed_from=(S.PAUSED,))


@transaction.atomic
def campaign_release(*, campaign: Campaign, user, request=None) -> Campaign:
    """After a pilot: let the rest of the audience go (the delivery side reads ``pilot_released_at``)."""
    campaign = _locked(campaign)
    _require(campaign, S.APPROVED, S.SENDING, S.PAUSED)
    if not campaign.pilot_percentage:
        raise CampaignError("campaign.no_pilot", _("This campaign has no pilot to release."))
    if campaign.pilot_released_at is not None:
        raise CampaignError("campaign.already_released", _("The rest of the audience is already released."))
    campaign.pilot_released_at = timezone.now()
    campaign.save(update_fields=["pilot_released_at"])
    record_campaign("campaign.released", campaign, user=user, request=request,
                    pilot_percentage=campaign.pilot_percentage)
    return campaign


@transaction.atomic
def campaign_transition(*, campaign_id: int, to_state: str, actor: str, reason: str = "", **details) -> Campaign:
    """System transitions for the delivery side (approved → sending, → completed, → failed, paused by a
    complaint-rate guard). Same guard table and audit trail as a person's action."""
    campaign = _locked(campaign_id)
    previous = _move(campaign, to_state)
    if reason:
        campaign.status_reason = reason
    campaign.save()
    record_campaign(f"campaign.{to_state}", campaign, actor=actor, previous_state=previous, reason=reason, **details)
    return campaign


@transaction.atomic
def campaign_preflight_run(*, campaign: Campaign, user=None, request=None) -> Campaign:
    """Run preflight again and keep the findings (drafts, or an approver who wants fresh numbers)."""
    campaign = _locked(campaign)
    result = run_preflight(campaign)
    campaign.preflight = [f.to_json() for f in result.findings]
    campaign.preflight_summary, campaign.preflight_at = result.summary, timezone.now()
    campaign.save(update_fields=["preflight", "preflight_summary", "preflight_at"])
    return campaign
