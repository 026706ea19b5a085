from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from ..exports import suppression_export_response
from ..models import Suppression
from ..selectors import SuppressionFilter, suppression_page
from ..services import SuppressionInputError, suppression_add, suppression_remove
from ..services.suppression_bulk import BulkResult, suppressions_import_csv
from .common import OPERATORS, error

router = Router()


class SuppressionIn(Schema):
    channel: str
    address: str
    reason: str
    source: str = "api"
    note: str = ""
    expires_at: datetime | None = None


class SuppressionOut(Schema):
    id: int
    channel: str
    address: str
    reason: str
    source: str
    note: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None


class SuppressionQuery(Schema):
    channel: str = ""
    reason: str = ""
    address: str = ""
    before: int | None = None
    limit: int = 50


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    next_before: int | None


class BulkOut(Schema):
    added: int
    existing: int
    rejected: int
    errors: list[dict]


@router.get("/suppressions", response=SuppressionPage, auth=OPERATORS, summary="Suppressions, newest first")
def suppressions(request, query: Query[SuppressionQuery]):
    filters = SuppressionFilter(channel=query.channel, reason=query.reason, address=query.address)
    rows, next_before = suppression_page(filters, before_id=query.before, size=max(1, min(query.limit, 500)))
    return {"items": rows, "next_before": next_before}


@router.post("/suppressions", response={201: SuppressionOut, 200: SuppressionOut}, auth=OPERATORS,
             summary="Add a suppression (idempotent: 200 when it already existed)")
def add_suppression(request, payload: SuppressionIn):
    try:
        row = suppression_add(channel=payload.channel, address=payload.address, reason=payload.reason,
                              source=payload.source or "api", note=payload.note, expires_at=payload.expires_at,
                              user=request.auth, request=request)
    except SuppressionInputError as exc:
        return error(400, exc.code, str(exc))
    return Status(201 if row.created_now else 200, row)


@router.post("/suppressions/bulk", response=BulkOut, auth=OPERATORS,
             summary="Add suppressions from a CSV (columns: channel, address, reason[, note, expires_at])")
def bulk_suppressions(request, file: File[UploadedFile], source: Form[str] = "csv"):
    result: BulkResult = suppressions_import_csv(upload=file, source=source, user=request.auth, request=request)
    if result.problem:
        return error(400, result.problem[0], result.problem[1])
    return {"added": result.added, "existing": result.existing, "rejected": result.rejected,
            "errors": result.errors[:1000]}


@router.get("/suppressions/export.csv", auth=OPERATORS, summary="Every suppression as CSV")
def export_suppressions(request):
    return suppression_export_response(user=request.auth, request=request)


@router.delete("/suppressions/{suppression_id}", response={204: None}, auth=OPERATORS,
               summary="Remove a suppression")
def remove_suppression(request, suppression_id: int):
    suppression_remove(suppression=get_object_or_404(Suppression, pk=suppression_id), user=request.auth,
                       request=request)
    return Status(204, None)
