"""The append-only audit table and the seals that make tampering evident.

No foreign keys on purpose: audit depends on nothing of ours, and ``on_delete`` of a referenced row
would have to UPDATE or DELETE here, which the database refuses (see ``audit.triggers``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

# Built CONCURRENTLY on PostgreSQL by migrations 0003/0004 so that adding them never blocks the send path.
SEARCH_INDEXES = [
    models.Index(
        fields=["campaign_id", "at", "id"], name="audit_campaign_at", condition=models.Q(campaign_id__isnull=False)
    ),
    models.Index(
        fields=["recipient_id", "at", "id"], name="audit_recipient_at", condition=models.Q(recipient_id__isnull=False)
    ),
    models.Index(fields=["address", "at", "id"], name="audit_address_at", condition=~models.Q(address="")),
    models.Index(fields=["actor", "at", "id"], name="audit_actor_at"),
    # varchar_pattern_ops: LIKE 'prefix%' (an action prefix) uses it whatever the collation.
    models.Index(
        fields=["action", "at", "id"], name="audit_action_prefix_at", opclasses=["varchar_pattern_ops", "", ""]
    ),
    models.Index(fields=["outcome", "at", "id"], name="audit_outcome_at"),
]


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=150, help_text="username, or system:<worker>")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    campaign_id = models.BigIntegerField(null=True, blank=True)
    recipient_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True, default="")
    address = models.CharField(max_length=320, blank=True, default="", help_text="address as sent")
    outcome = models.CharField(max_length=32, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["at", "id"], name="audit_at_id"),
            models.Index(fields=["action", "object_id", "at"], name="audit_action_obj_at"),
            models.Index(fields=["campaign_id", "id"], name="audit_campaign_id"),
            models.Index(fields=["recipient_id", "id"], name="audit_recipient_id"),
            models.Index(fields=["actor", "id"], name="audit_actor_id"),
            # The auditor's search: one filter column, then the page order (at, id); see audit/selectors.py.
            *SEARCH_INDEXES,
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.id} {self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action}"


class AuditSeal(models.Model):
    """A SHA-256 over one closed id range of events, chained to the previous seal."""

    id = models.BigAutoField(primary_key=True)
    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField(unique=True)
    event_count = models.PositiveIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"seal #{self.id} events {self.first_event_id}–{self.last_event_id}"
