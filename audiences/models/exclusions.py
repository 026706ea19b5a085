"""Per-campaign exclusion lists: recipients taken out by external id (litigation, deceased, VIP...).

Campaigns point at an ``ExclusionList``; audiences never imports campaigns.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ExclusionList(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class ExclusionEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    exclusion_list = models.ForeignKey(ExclusionList, on_delete=models.CASCADE, related_name="entries")
    external_id = models.CharField(max_length=128)
    reason = models.CharField(max_length=300, blank=True, default="")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["exclusion_list", "external_id"], name="aud_exclusion_unique"),
        ]

    def __str__(self) -> str:
        return self.external_id
