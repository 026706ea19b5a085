"""Reads of audiences data that are more than one line."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Recipient, Segment
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
