"""Reads of audiences data that are more than one line."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .imports.progress import live_counts
from .models import AudienceList, ExclusionList, Membership, Recipient, Segment, Suppression
from .segments import compile_rules


def segment_recipients(segment: Segment | dict) -> QuerySet[Recipient]:
    """The recipients a segment (or a bare rules dict) selects, as a lazy QuerySet ordered by id.

    Raises ``audiences.segments.SegmentError`` for invalid rules.
    """
    rules = segment.rules if isinstance(segment, Segment) else segment
    return Recipient.objects.filter(compile_rules(rules)).order_by("id")


def segment_count(segment: Segment | dict) -> int:
    return segment_recipients(segment).count()


def segment_preview(segment: Segment | dict, *, size: int = 20) -> list[Recipient]:
    return list(segment_recipients(segment)[:size])


def import_progress(job) -> dict:
    """Rows done, percent, rows per second and seconds left (bytes drive the bar); a running job's
    counters come from its progress file (``audiences.imports.progress``)."""
    rows_done, bytes_done = live_counts(job)
    if job.status == "completed":
        percent = 100.0
    elif job.size_bytes:
        percent = round(min(99.9, 100.0 * bytes_done / job.size_bytes), 1)
    else:
        percent = 0.0
    rate = eta = None
    if job.started_at:
        end = job.finished_at or timezone.now()
        elapsed = max((end - job.started_at).total_seconds(), 0.001)
        rate = round(rows_done / elapsed, 1)
        if not job.finished_at and bytes_done:
            eta = round(elapsed * (job.size_bytes - bytes_done) / bytes_done, 1)
    return {"rows_done": rows_done, "percent": percent, "rows_per_s": rate, "eta_s": eta}


@dataclass(frozen=True)
class RecipientFilter:
    """``q`` matches a customer number, an e-mail address or a phone number exactly (indexed), else a
    name prefix; ``list_id`` keeps members of one list."""

    q: str = ""
    list_id: int | None = None

    def apply(self, rows: QuerySet) -> QuerySet:
        q = self.q.strip()
        if q:
            from .imports.phones import parse_phone
            from .normalize import normalize_email

            match = Q(external_id=q)
            if "@" in q:
                email = normalize_email(q)
                match |= Q(email_normalized=email or q.lower())
            else:
                phone = parse_phone(q) if any(ch.isdigit() for ch in q) else None
                if phone:
                    match |= Q(phone=phone.e164)
                match |= Q(name__startswith=q)
            rows = rows.filter(match)
        if self.list_id:
            rows = rows.filter(Exists(Membership.objects.filter(audience_list_id=self.list_id,
                                                                 recipient_id=OuterRef("pk"))))
        return rows


def keyset_page(rows: QuerySet, *, before_id: int | None, size: int):
    """One page, newest first, keyset-paginated on id (no OFFSET, no COUNT over the table)."""
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    page = list(rows.order_by("-id")[: size + 1])
    next_before = page[size - 1].id if len(page) > size else None
    return page[:size], next_before


def recipient_page(filters: RecipientFilter, *, before_id: int | None, size: int = 50):
    return keyset_page(filters.apply(Recipient.objects.all()), before_id=before_id, size=size)


def recipient_lists(recipient: Recipient) -> QuerySet[AudienceList]:
    """The lists a recipient belongs to, by name: one primary-key probe (list, recipient) per list.

    Memberships have no index on recipient alone (the import writes one index entry per row, not
    three); asking per list keeps this an index lookup at a million members.
    """
    member = Membership.objects.filter(audience_list_id=OuterRef("pk"), recipient_id=recipient.pk)
    return AudienceList.objects.filter(Exists(member)).order_by("name")


def recipient_estimate() -> int:
    """About how many recipients there are, without counting a million rows (PostgreSQL statistics)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'audiences_recipient'::regclass")
            row = cur.fetchone()
            if row and row[0] >= 0:
                return int(row[0])
    return Recipient.objects.count()


@dataclass(frozen=True)
class SuppressionFilter:
    channel: str = ""
    reason: str = ""
    address: str = ""

    def apply(self, rows: QuerySet) -> QuerySet:
        if self.channel:
            rows = rows.filter(channel=self.channel)
        if self.reason:
            rows = rows.filter(reason=self.reason)
        if self.address.strip():
            from .normalize import normalize_address

            raw = self.address.strip()
            normalized = normalize_address("all", raw) or raw.lower()
            rows = rows.filter(address=normalized)
        return rows


def suppression_page(filters: SuppressionFilter, *, before_id: int | None, size: int = 50):
    return keyset_page(filters.apply(Suppression.objects.all()), before_id=before_id, size=size)


def exclusion_lists(limit: int = 500) -> QuerySet[ExclusionList]:
    """The newest exclusion lists, each with ``size`` (its entries), counted in one query."""
    return ExclusionList.objects.annotate(size=Count("entries")).order_by("-id")[:limit]
