"""A campaign, its approvals and its test sends.

The state machine (see ``campaigns.services.lifecycle``)::

    draft → pending_approval → approved → sending ⇄ paused → completed
    pending_approval → rejected (editable; an edit or a new submission leaves it)
    any state before completed → cancelled;  sending/paused → failed
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audiences.models import ExclusionList, Segment
from audiences.models.choices import Channel, Purpose

from ..window import COLLECTION_END_HOUR, COLLECTION_START_HOUR, COLLECTION_TZ, SendWindow
from .senders import Sender
from .templates import Template, TemplateVersion


def _all_weekdays() -> list[int]:
    return list(range(7))


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    EDITABLE = (State.DRAFT, State.REJECTED)
    FINAL = (State.COMPLETED, State.CANCELLED, State.FAILED)

    name = models.CharField(_("name"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="campaigns",
                                 verbose_name=_("template"))
    # Pinned at submission (the template's latest version then); drafts preview the latest version.
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="campaigns")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("segment"))
    # The segment's rules as they were at submission: the audience is this definition, not later edits.
    segment_definition = models.JSONField(null=True, blank=True)
    exclusion_list = models.ForeignKey(ExclusionList, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("exclusion list"))
    sender = models.ForeignKey(Sender, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("sender"))
    send_at = models.DateTimeField(_("send at"), null=True, blank=True, help_text=_("empty: when approved"))
    window_start_hour = models.PositiveSmallIntegerField(default=COLLECTION_START_HOUR)
    window_end_hour = models.PositiveSmallIntegerField(default=COLLECTION_END_HOUR)
    window_weekdays = models.JSONField(default=_all_weekdays, help_text="0 = Monday … 6 = Sunday")
    window_tz = models.CharField(max_length=64, default=COLLECTION_TZ)
    throttle_per_s = models.PositiveIntegerField(_("messages per second"), default=10)
    importance_label = models.BooleanField(_("mark as important (【重要】)"), default=False)
    test_addresses = models.JSONField(default=list, blank=True, help_text="internal emails or E.164 numbers")
    pilot_percentage = models.PositiveSmallIntegerField(_("pilot percentage"), default=0,
                                                        help_text=_("0: no pilot"))

    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    status_reason = models.TextField(blank=True, default="", help_text="why paused, failed or rejected")
    content_hash = models.CharField(max_length=64, blank=True, default="")
    approvals_required = models.PositiveSmallIntegerField(default=1, help_text="fixed at submission")
    preflight = models.JSONField(default=list, blank=True, help_text="findings of the last preflight run")
    preflight_summary = models.JSONField(default=dict, blank=True)
    preflight_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pilot_released_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    # Written by the delivery side; live numbers come from campaigns.selectors.campaign_counters.
    count_total = models.BigIntegerField(default=0)
    count_sent = models.BigIntegerField(default=0)
    count_delivered = models.BigIntegerField(default=0)
    count_failed = models.BigIntegerField(default=0)
    count_bounced = models.BigIntegerField(default=0)
    count_skipped = models.BigIntegerField(default=0)
    count_complaints = models.BigIntegerField(default=0)

    # Dispatch bookkeeping (campaigns.dispatch): when the audience (or the pilot part) became delivery
    # rows, when the rest after a pilot did, and the last fan-out / batch progress (stall detection).
    materialised_at = models.DateTimeField(null=True, blank=True)
    rest_materialised_at = models.DateTimeField(null=True, blank=True)
    last_fanout_at = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    # Set when a batch stopped because of a pause or a closed send window: the next tick in which the
    # campaign may send fans its pending rows out again.
    needs_fanout = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        permissions = [("approve_campaign", "Can approve or reject campaigns")]
        constraints = [
            models.CheckConstraint(condition=Q(pilot_percentage__lte=99), name="camp_pilot_pct_range"),
            models.CheckConstraint(
                condition=Q(window_start_hour__lt=models.F("window_end_hour")) & Q(window_end_hour__lte=24),
                name="camp_window_hours",
            ),
            # Dunning never outside 08:00–21:00 Asia/Tokyo, whatever the code above the database does.
            models.CheckConstraint(
                condition=~Q(purpose="collection")
                | (Q(window_start_hour__gte=COLLECTION_START_HOUR) & Q(window_end_hour__lte=COLLECTION_END_HOUR)
                   & Q(window_tz=COLLECTION_TZ)),
                name="camp_collection_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def window(self) -> SendWindow:
        return SendWindow(self.window_start_hour, self.window_end_hour, frozenset(self.window_weekdays),
                          self.window_tz)

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE

    @property
    def version_for_preview(self) -> TemplateVersion | None:
        """The pinned version once submitted; before that, the template's latest."""
        return self.template_version or self.template.latest_version


class Approval(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    content_hash = models.CharField(max_length=64, help_text="the hash of what the approver saw")
    comment = models.TextField(blank=True, default="")
    decided_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True, help_text="set when the campaign changed afterwards")

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            # One approver counts once per content: a database guarantee, not only a Python check.
            models.UniqueConstraint(
                fields=["campaign", "approver", "content_hash"],
                condition=Q(decision="approve", voided_at__isnull=True),
                name="camp_approval_once_per_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} of {self.campaign_id} by {self.approver_id}"


class TestSend(models.Model):
    class Status(models.TextChoices):
        RECORDED = "recorded", _("Recorded (waiting for the delivery side)")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="test_sends")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64, help_text="the campaign's content when tested")
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="+")
    addresses = models.JSONField(default=list)
    sample_recipient_id = models.BigIntegerField(null=True, blank=True, help_text="whose merge fields were used")
    rendered = models.JSONField(default=dict, help_text="the message parts as sent")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECORDED)
    results = models.JSONField(default=list, blank=True, help_text="per address: provider id or error")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"test send {self.pk} of {self.campaign_id}"
