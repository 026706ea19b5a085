"""Progress samples of a sending campaign, for the monitor page's throughput chart and ETA.

The dispatch tick writes one row per sending campaign every few seconds (one GROUP BY over the
campaign's delivery rows); the page reads the last few hundred instead of scanning deliveries.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .campaigns import Campaign


class DeliverySample(models.Model):
    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField(default=timezone.now)
    pending = models.BigIntegerField(default=0)
    sending = models.BigIntegerField(default=0)
    sent = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField(default=0)
    bounced = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["campaign", "at"], name="camp_sample_at")]

    def __str__(self) -> str:
        return f"sample of {self.campaign_id} at {self.at:%H:%M:%S}"

    @property
    def done(self) -> int:
        """Rows that left the queue: everything but pending and sending."""
        return self.sent + self.delivered + self.bounced + self.failed + self.skipped
