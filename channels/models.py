"""The one table channels keeps: provider callbacks already applied, so a replayed one changes nothing.

Twilio's signatures carry no timestamp, so a captured callback verifies forever. What makes a callback
unique is its own id: an inbound SMS has one ``MessageSid``; a status callback is one (``MessageSid``,
``MessageStatus``, ``ErrorCode``). The signed email-event webhook's signature already binds a timestamp
(stale ones are refused); inside the accepted window its signature is the key.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SeenCallback(models.Model):
    key = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "seen provider callback"

    def __str__(self) -> str:
        return self.key
