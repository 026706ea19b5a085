from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from ..models import Segment
from ..segments import SegmentError
from ..selectors import segment_count, segment_preview
from ..services import segment_create, segment_delete, segment_update
from .common import OPERATORS, error
from .recipients import RecipientOut

router = Router()


class SegmentIn(Schema):
    name: str
    rules: dict
    description: str = ""


class SegmentPatch(Schema):
    name: str | None = None
    rules: dict | None = None
    description: str | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    rules: dict
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class RulesIn(Schema):
    rules: dict


class PreviewOut(Schema):
    count: int
    preview: list[RecipientOut]


def _bad(exc: SegmentError):
    return error(400, exc.code, exc.message)


@router.get("/segments", response=list[SegmentOut], auth=OPERATORS, summary="Segments")
def segments(request):
    return list(Segment.objects.order_by("name")[:1000])


@router.post("/segments", response={201: SegmentOut}, auth=OPERATORS, summary="Create a segment")
def create_segment(request, payload: SegmentIn):
    try:
        return Status(201, segment_create(name=payload.name, rules=payload.rules, description=payload.description,
                                          user=request.auth, request=request))
    except SegmentError as exc:
        return _bad(exc)
    except IntegrityError:
        return error(409, "segment.name_taken", "A segment with this name exists.")


@router.post("/segments/preview", response=PreviewOut, auth=OPERATORS,
             summary="Count and first 20 recipients of unsaved rules")
def preview_rules(request, payload: RulesIn):
    try:
        return {"count": segment_count(payload.rules), "preview": segment_preview(payload.rules)}
    except SegmentError as exc:
        return _bad(exc)


@router.get("/segments/{segment_id}", response=SegmentOut, auth=OPERATORS, summary="One segment")
def get_segment(request, segment_id: int):
    return get_object_or_404(Segment, pk=segment_id)


@router.get("/segments/{segment_id}/preview", response=PreviewOut, auth=OPERATORS,
            summary="Count and first 20 recipients of a segment")
def preview_segment(request, segment_id: int):
    segment = get_object_or_404(Segment, pk=segment_id)
    return {"count": segment_count(segment), "preview": segment_preview(segment)}


@router.patch("/segments/{segment_id}", response=SegmentOut, auth=OPERATORS, summary="Change a segment")
def update_segment(request, segment_id: int, payload: SegmentPatch):
    segment = get_object_or_404(Segment, pk=segment_id)
    try:
        return segment_update(segment=segment, name=payload.name, rules=payload.rules,
                              description=payload.description, user=request.auth, request=request)
    except SegmentError as exc:
        return _bad(exc)
    except IntegrityError:
        return error(409, "segment.name_taken", "A segment with this name exists.")


@router.delete("/segments/{segment_id}", response={204: None}, auth=OPERATORS, summary="Delete a segment")
def delete_segment(request, segment_id: int):
    segment_delete(segment=get_object_or_404(Segment, pk=segment_id), user=request.auth, request=request)
    return Status(204, None)
