"""Reads of campaigns data that are more than one line (the delivery side uses these too)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from audiences.selectors import segment_recipients

from .models import Approval, Campaign, Delivery, Template, TemplateVersion

APPROVED_STATES = (Campaign.State.APPROVED, Campaign.State.SENDING, Campaign.State.PAUSED,
                   Campaign.State.COMPLETED)


def campaign_audience(campaign: Campaign) -> QuerySet:
    """Everyone the campaign's audience definition selects (before suppression/exclusion), ordered by id.

    Once submitted, the pinned ``segment_definition`` is the audience — later edits of the segment do
    not change what was approved. Before that, the segment's current rules.
    """
    if campaign.segment_definition is not None:
        return segment_recipients(campaign.segment_definition)
    if campaign.segment_id is None:
        from audiences.models import Recipient

        return Recipient.objects.none()
    return segment_recipients(campaign.segment)


def valid_approvals(campaign: Campaign) -> QuerySet:
    """Approvals that count: not voided, and given for the campaign's current content hash."""
    return campaign.approvals.filter(decision=Approval.Decision.APPROVE, voided_at__isnull=True,
                                     content_hash=campaign.content_hash)


def authors_of(campaign: Campaign) -> set[int]:
    """User ids that may not approve: whoever created, last edited or submitted the campaign, or wrote
    the template version it sends."""
    ids = {campaign.created_by_id, campaign.updated_by_id, campaign.submitted_by_id}
    version = campaign.version_for_preview
    if version is not None:
        ids.add(version.created_by_id)
    return {i for i in ids if i is not None}


def approval_queue(user) -> QuerySet:
    """Campaigns waiting for ``user``'s decision: pending, not authored by them, not yet approved by them."""
    pending = Campaign.objects.filter(state=Campaign.State.PENDING_APPROVAL).select_related(
        "template", "template_version", "created_by", "segment")
    mine = Q(created_by=user) | Q(updated_by=user) | Q(submitted_by=user) | Q(template_version__created_by=user)
    already = Approval.objects.filter(campaign=OuterRef("pk"), approver=user, decision=Approval.Decision.APPROVE,
                                      voided_at__isnull=True, content_hash=OuterRef("content_hash"))
    return pending.exclude(mine).exclude(Exists(already)).order_by("submitted_at", "id")


def last_approved_version(template: Template, *, other_than: TemplateVersion | None) -> TemplateVersion | None:
    """The newest version of ``template`` that an approved campaign used (for the approval page's diff)."""
    versions = TemplateVersion.objects.filter(template=template, campaigns__state__in=APPROVED_STATES)
    if other_than is not None:
        versions = versions.exclude(pk=other_than.pk)
    return versions.order_by("-number").first()


def campaign_counters(campaign: Campaign) -> dict:
    """Live delivery counters (one GROUP BY): per status, and skipped rows per reason."""
    counters = dict.fromkeys(Delivery.Status.values, 0)
    skipped_by_reason: dict[str, int] = {}
    rows = (Delivery.objects.filter(campaign=campaign).values("status", "skip_reason")
            .annotate(n=Count("id")).order_by())
    for row in rows:
        counters[row["status"]] += row["n"]
        if row["status"] == Delivery.Status.SKIPPED:
            skipped_by_reason[row["skip_reason"] or "unknown"] = row["n"]
    counters["total"] = sum(counters[s] for s in Delivery.Status.values)
    counters["skipped_by_reason"] = skipped_by_reason
    return counters


def last_test_send(campaign: Campaign):
    return campaign.test_sends.order_by("-id").first()
