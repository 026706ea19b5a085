"""One row per campaign × recipient × channel: what was (or will be) sent, and what became of it.

The delivery side (dispatch tasks, receipts) owns the writes; this app defines the table so the
guarantee "at most one message per recipient per campaign and channel" is a database constraint.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audiences.models import Recipient
from audiences.models.choices import Channel

from .campaigns import Campaign


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    FINAL = (Status.SENT, Status.DELIVERED, Status.BOUNCED, Status.FAILED, Status.SKIPPED)

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="deliveries")
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=320, blank=True, default="", help_text="as sent")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(max_length=64, blank=True, default="",
                                   help_text="a block reason: excluded, no_contact, suppressed.<reason>, ...")
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="a 'sending' row past this is reconciled")
    available_at = models.DateTimeField(null=True, blank=True, help_text="a pending row waits until then (retry)")
    provider_id = models.CharField(max_length=128, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "recipient", "channel"], name="camp_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "id"], name="camp_delivery_claim"),
            models.Index(fields=["provider_id"], name="camp_delivery_provider_id",
                         condition=~models.Q(provider_id="")),
            # The reconciler looks for rows whose lease ran out; only "sending" rows are in this index.
            models.Index(fields=["lease_until"], name="camp_delivery_lease",
                         condition=models.Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"
