"""Message templates and their immutable versions.

Editing a template adds a ``TemplateVersion``; a version is never changed afterwards (the database
refuses UPDATE on the table, see ``campaigns.db``), so the version a campaign was approved with is
exactly what goes out.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from audiences.models.choices import Channel

from ..rendering import MessageSource


class Template(models.Model):
    name = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def latest_version(self) -> TemplateVersion | None:
        return self.versions.order_by("-number").first()


class TemplateVersion(models.Model):
    id = models.BigAutoField(primary_key=True)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # email: subject, text (required), html (optional); sms: body.
    subject = models.CharField(max_length=500, blank=True, default="")
    text = models.TextField(blank=True, default="")
    html = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    note = models.CharField(max_length=300, blank=True, default="", help_text="what changed")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of channel and parts")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="camp_tversion_unique")]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"

    @property
    def channel(self) -> str:
        return self.template.channel

    def source(self) -> MessageSource:
        return MessageSource(channel=self.channel, subject=self.subject, text=self.text, html=self.html,
                             body=self.body)

    def parts(self) -> dict[str, str]:
        return self.source().parts()

    @staticmethod
    def hash_parts(channel: str, parts: dict[str, str]) -> str:
        payload = json.dumps({"channel": channel, **parts}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
