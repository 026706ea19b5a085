from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from ..imports.report import error_report_response
from ..models import ImportJob
from ..selectors import import_progress
from ..services import ImportInputError, import_cancel, import_create
from .common import OPERATORS, error

router = Router()
log = logging.getLogger(__name__)


class ImportOut(Schema):
    id: int
    status: str
    list: str
    list_id: int
    mode: str
    file: str
    encoding: str
    records: int
    created: int
    updated: int
    rejected: int
    blank: int
    warnings: int
    removed: int
    rows_done: int
    rows_total: int | None
    percent: float
    rows_per_s: float | None
    eta_s: float | None
    error_code: str
    error_message: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def import_out(job: ImportJob) -> dict:
    progress = import_progress(job)
    return {
        "id": job.pk, "status": job.status, "list": job.audience_list.name, "list_id": job.audience_list_id,
        "mode": job.mode, "file": job.original_filename, "encoding": job.encoding, "records": job.records,
        "created": job.created, "updated": job.updated, "rejected": job.rejected, "blank": job.blank,
        "warnings": job.warnings, "removed": job.removed, "rows_done": progress["rows_done"],
        "rows_total": job.rows_total, "percent": progress["percent"], "rows_per_s": progress["rows_per_s"],
        "eta_s": progress["eta_s"],
        "error_code": job.error_code, "error_message": job.error_message, "created_by": job.created_by,
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


@router.post("/imports", response={202: ImportOut}, auth=OPERATORS, summary="Upload a CSV and start an import")
def create_import(request, file: File[UploadedFile] = None, list: Form[str] = "",  # noqa: A002
                  mode: Form[str] = "upsert", encoding: Form[str] = "auto"):
    """multipart/form-data: ``file`` (UTF-8 or CP932 CSV), ``list`` (name; created if missing),
    ``mode`` (upsert | replace), ``encoding`` (auto | utf-8 | cp932). Answers 202; poll ``GET /imports/{id}``."""
    if file is None:  # also what a multipart body cut off before its file part parses to
        log.warning("import refused (file.missing): no file part in the multipart body")
        return error(400, "file.missing", _("Send the CSV file in the multipart field \"file\"."))
    if file.size > settings.IMPORT_MAX_BYTES:
        log.warning("import refused (file.too_large): %r is %d bytes", file.name, file.size)
        return error(413, "file.too_large", f"The file is larger than {settings.IMPORT_MAX_BYTES} bytes.")
    try:
        job = import_create(upload=file, filename=file.name or "", list_name=list, mode=mode, encoding=encoding,
                            user=request.auth, request=request)
    except ImportInputError as exc:
        return error(413 if exc.code == "file.too_large" else 400, exc.code, exc.message)
    job = ImportJob.objects.select_related("audience_list").get(pk=job.pk)
    return Status(202, import_out(job))


@router.get("/imports/{import_id}", response=ImportOut, auth=OPERATORS, summary="An import's progress and counts")
def get_import(request, import_id: int):
    return import_out(get_object_or_404(ImportJob.objects.select_related("audience_list"), pk=import_id))


@router.post("/imports/{import_id}/cancel", response=ImportOut, auth=OPERATORS, summary="Cancel an import")
def cancel_import(request, import_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("audience_list"), pk=import_id)
    return import_out(import_cancel(job=job, user=request.auth, request=request))


@router.get("/imports/{import_id}/errors.csv", auth=OPERATORS, summary="The error report (rejected and warned rows)")
def import_errors(request, import_id: int):
    return error_report_response(get_object_or_404(ImportJob, pk=import_id))
