"""Saved segments: filter rules (JSON) compiled to a QuerySet by ``audiences.segments``."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Segment(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, default="")
    # {"match": "all"|"any", "rules": [{"field": ..., "op": ..., "value": ...} | nested group, ...]}
    rules = models.JSONField(default=dict, blank=True)
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=150, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
