"""Recipients and the lists they belong to."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .choices import PhoneType


class AudienceList(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True, default="", help_text="username")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Recipient(models.Model):
    """One customer. ``external_id`` is the core system's customer number and the import key."""

    id = models.BigAutoField(primary_key=True)
    external_id = models.CharField(max_length=128)
    name = models.CharField(max_length=1000, blank=True, default="")
    email = models.CharField(max_length=320, blank=True, default="", help_text="as given, trimmed")
    # Lower-cased copy: addresses are compared case-insensitively (suppressions, search) via an index.
    email_normalized = models.CharField(max_length=320, blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="", help_text="E.164, '' if none")
    phone_type = models.CharField(max_length=16, choices=PhoneType.choices, default=PhoneType.UNKNOWN)
    attributes = models.JSONField(default=dict, blank=True, help_text="every other CSV column; merge fields")
    lists = models.ManyToManyField(AudienceList, through="Membership", related_name="recipients", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # No database constraint or index: a million-row import would pay a foreign-key check and an
    # index entry per row for a column that is only ever read from the recipient's side.
    last_import = models.ForeignKey(
        "audiences.ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, db_index=False,
    )

    class Meta:
        ordering = ["id"]
        # Plain indexes and constraints rather than unique=/db_index=: on PostgreSQL those add a second
        # varchar_pattern_ops index per column, which doubles the index work of every imported row.
        constraints = [models.UniqueConstraint(fields=["external_id"], name="aud_recipient_external_id")]
        indexes = [
            models.Index(fields=["email_normalized"], name="aud_recipient_email"),
            models.Index(fields=["phone"], name="aud_recipient_phone"),
            # No index on name (migration 0009 removed it): the page's name search is a prefix match
            # that scans a million rows in ~0.1 s, while the index cost every imported million
            # 1.1 s (rebuilt after a bulk load) to 3 s (kept up row by row).
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}".strip()

    def save(self, *args, **kwargs) -> None:
        self.email = (self.email or "").strip()
        self.email_normalized = self.email.lower()
        super().save(*args, **kwargs)


class Membership(models.Model):
    """An explicit through table so imports can insert and delete memberships in bulk (or by COPY).

    The primary key is (audience_list, recipient): one index serves the uniqueness, lookups by list
    (segments, replace mode) and — probed once per list, there are few — a recipient's lists. An
    ``id`` column, a separate unique index and an index on recipient cost a million-row import three
    extra index entries per row for nothing (migration 0008).

    No database foreign-key constraints: PostgreSQL checks a deferred constraint once per row at
    commit, which cost a million-row import about as much as inserting the rows themselves. Rows
    are only written by the import's merge (ids straight from the recipients it just wrote) and by
    the ORM, whose on_delete=CASCADE removes a recipient's or a list's memberships with it.
    """

    pk = models.CompositePrimaryKey("audience_list", "recipient")
    audience_list = models.ForeignKey(
        AudienceList, on_delete=models.CASCADE, related_name="memberships", db_index=False, db_constraint=False
    )
    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, related_name="memberships", db_index=False, db_constraint=False
    )
    added_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.recipient_id} in {self.audience_list_id}"
