from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from .. import selectors
from ..models import ExclusionEntry, ExclusionList
from ..services import ExclusionInputError, exclusion_entries_add, exclusion_entry_remove, exclusion_list_create
from .common import OPERATORS, error

router = Router()


class ExclusionListIn(Schema):
    name: str
    description: str = ""


class ExclusionListOut(Schema):
    id: int
    name: str
    description: str
    created_by: str
    created_at: datetime
    entries: int


class EntriesIn(Schema):
    external_ids: list[str]
    reason: str = ""


class EntryOut(Schema):
    id: int
    external_id: str
    reason: str
    created_by: str
    created_at: datetime


def _out(row: ExclusionList) -> dict:
    return {"id": row.pk, "name": row.name, "description": row.description, "created_by": row.created_by,
            "created_at": row.created_at, "entries": row.size if hasattr(row, "size") else row.entries.count()}


@router.get("/exclusion-lists", response=list[ExclusionListOut], auth=OPERATORS,
            summary="Per-campaign exclusion lists (recipients taken out by customer number)")
def exclusion_lists(request):
    return [_out(row) for row in selectors.exclusion_lists()]


@router.post("/exclusion-lists", response={201: ExclusionListOut}, auth=OPERATORS, summary="Create an exclusion list")
def create_exclusion_list(request, payload: ExclusionListIn):
    try:
        row = exclusion_list_create(name=payload.name, description=payload.description, user=request.auth,
                                    request=request)
    except ExclusionInputError as exc:
        return error(400, exc.code, str(exc))
    return Status(201, _out(row))


@router.get("/exclusion-lists/{list_id}/entries", response=list[EntryOut], auth=OPERATORS,
            summary="The customer numbers on an exclusion list")
def entries(request, list_id: int):
    return list(get_object_or_404(ExclusionList, pk=list_id).entries.order_by("id")[:10_000])


@router.post("/exclusion-lists/{list_id}/entries", response=ExclusionListOut, auth=OPERATORS,
             summary="Add customer numbers (duplicates ignored)")
def add_entries(request, list_id: int, payload: EntriesIn):
    row = get_object_or_404(ExclusionList, pk=list_id)
    try:
        exclusion_entries_add(exclusion_list=row, external_ids=payload.external_ids, reason=payload.reason,
                              user=request.auth, request=request)
    except ExclusionInputError as exc:
        return error(400, exc.code, str(exc))
    return _out(row)


@router.delete("/exclusion-lists/{list_id}/entries/{entry_id}", response={204: None}, auth=OPERATORS,
               summary="Remove a customer number from an exclusion list")
def remove_entry(request, list_id: int, entry_id: int):
    entry = get_object_or_404(ExclusionEntry, pk=entry_id, exclusion_list_id=list_id)
    exclusion_entry_remove(entry=entry, user=request.auth, request=request)
    return Status(204, None)
