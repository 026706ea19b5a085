"""Marketing consent per channel, kept as evidence (特定電子メール法)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .choices import Channel
from .recipients import Recipient


class Consent(models.Model):
    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="consents")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    granted_at = models.DateTimeField()
    source = models.CharField(max_length=500, help_text="form URL, paper, call, ...")
    wording = models.TextField(help_text="the text the person agreed to")
    evidence = models.TextField(blank=True, default="", help_text="reference to the signed form, recording, ...")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True, default="")
    revoke_reason = models.CharField(max_length=500, blank=True, default="")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["recipient", "channel"], name="aud_consent_recipient_channel")]

    def __str__(self) -> str:
        return f"consent {self.channel} for {self.recipient_id}"
