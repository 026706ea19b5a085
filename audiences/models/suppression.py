"""Suppressions: addresses that must not receive messages on a channel (or on any channel)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .choices import SuppressionChannel, SuppressionReason


class Suppression(models.Model):
    id = models.BigAutoField(primary_key=True)
    channel = models.CharField(max_length=8, choices=SuppressionChannel.choices)
    # Normalised: e-mail lower-cased and trimmed, phone in E.164.
    address = models.CharField(max_length=320)
    reason = models.CharField(max_length=32, choices=SuppressionReason.choices)
    source = models.CharField(max_length=200, blank=True, default="", help_text="e.g. unsubscribe, bounce, csv")
    note = models.TextField(blank=True, default="")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Adding the same entry twice is a no-op (idempotent suppression_add, bulk adds).
            models.UniqueConstraint(fields=["address", "channel", "reason"], name="aud_suppression_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address} ({self.reason})"

    def is_active(self, now=None) -> bool:
        return self.expires_at is None or self.expires_at > (now or timezone.now())
