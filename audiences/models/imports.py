"""CSV imports: one job per uploaded file, and the rows it rejected or warned about."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .recipients import AudienceList


class ImportJob(models.Model):
    class Mode(models.TextChoices):
        UPSERT = "upsert", _("Upsert (add and update)")
        REPLACE = "replace", _("Replace the list's members")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    FINAL = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    id = models.BigAutoField(primary_key=True)
    audience_list = models.ForeignKey(AudienceList, on_delete=models.PROTECT, related_name="imports")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.UPSERT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    original_filename = models.CharField(max_length=255, blank=True, default="")
    stored_path = models.CharField(max_length=500, blank=True, default="")
    size_bytes = models.BigIntegerField(default=0)
    encoding_requested = models.CharField(max_length=16, default="auto")
    encoding = models.CharField(max_length=16, blank=True, default="", help_text="detected or forced")
    delimiter = models.CharField(max_length=4, blank=True, default="")
    headers = models.JSONField(default=list, blank=True, help_text="the file's header row, for the error report")
    # Progress: bytes are exact from the start, rows are counted as they go; rows_total is an
    # estimate (line count) until the job finishes, then the exact number of data records.
    bytes_done = models.BigIntegerField(default=0)
    rows_done = models.BigIntegerField(default=0)
    rows_total = models.BigIntegerField(null=True, blank=True)
    # The accounting identity: created + updated + rejected + blank == records.
    records = models.BigIntegerField(default=0)
    created = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    blank = models.BigIntegerField(default=0)
    warnings = models.BigIntegerField(default=0)
    removed = models.BigIntegerField(default=0, help_text="members dropped from the list by replace mode")
    cancel_requested = models.BooleanField(default=False)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="", help_text="for the rows' messages")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.original_filename} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class ImportIssue(models.Model):
    """A rejected row (severity error) or a row imported without a bad field (severity warning)."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Rejected")
        WARNING = "warning", _("Warning")

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField(help_text="the physical line the record starts on")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    code = models.CharField(max_length=64)
    message = models.TextField()
    values = models.JSONField(default=list, blank=True, help_text="the row as read")

    class Meta:
        ordering = ["job", "line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="aud_issue_job_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.code}"
