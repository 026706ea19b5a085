"""Import pages: upload form and history, one job's live progress, its JSON status, cancel, error report."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notify_console.roles import ADMIN, OPERATOR, role_required

from ..imports.report import error_report_response
from ..models import AudienceList, ImportJob
from ..selectors import import_progress
from ..services import ImportInputError, import_cancel, import_create

log = logging.getLogger(__name__)


def _too_large(request) -> bool:
    # Refuse by the declared length before Django reads (and stores) the body.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.IMPORT_MAX_BYTES + 64 * 1024


@role_required(OPERATOR, ADMIN)
@require_http_methods(["GET", "POST"])
def imports(request):
    error = None
    if request.method == "POST":
        if _too_large(request):
            log.warning("import refused (file.too_large): request body of %s bytes over IMPORT_MAX_BYTES",
                        request.META.get("CONTENT_LENGTH"))
            error = _("The file is larger than the limit of %(limit)s MB.") % {
                "limit": f"{settings.IMPORT_MAX_BYTES / 1048576:,.1f}"}
        else:
            upload = request.FILES.get("file")
            if upload is None:
                log.warning("import refused (file.missing): no file in the form")
                error = _("Choose a CSV file.")
            else:
                try:
                    job = import_create(upload=upload, filename=upload.name, list_name=request.POST.get("list", ""),
                                        mode=request.POST.get("mode", "upsert"),
                                        encoding=request.POST.get("encoding", "auto"), request=request)
                except ImportInputError as exc:
                    error = exc.message
                else:
                    return redirect("audiences:import", import_id=job.pk)
        if error:
            messages.error(request, error)
    jobs = ImportJob.objects.select_related("audience_list").order_by("-id")[:50]
    return render(request, "audiences/imports.html", {
        "jobs": jobs, "lists": AudienceList.objects.order_by("name")[:500],
        "max_mb": f"{settings.IMPORT_MAX_BYTES / 1048576:,.0f}", "error": error,
    }, status=400 if error else 200)


@role_required(OPERATOR, ADMIN)
@require_GET
def import_detail(request, import_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("audience_list"), pk=import_id)
    return render(request, "audiences/import_detail.html", {"job": job, "progress": import_progress(job)})


def status_payload(job: ImportJob) -> dict:
    progress = import_progress(job)
    return {
        "id": job.pk, "status": job.status, "status_label": job.get_status_display(), "final": job.is_final,
        "percent": progress["percent"], "rows_per_s": progress["rows_per_s"], "eta_s": progress["eta_s"],
        "rows_done": progress["rows_done"], "rows_total": job.rows_total, "records": job.records,
        "created": job.created, "updated": job.updated, "rejected": job.rejected, "blank": job.blank,
        "warnings": job.warnings, "removed": job.removed, "encoding": job.encoding, "error_code": job.error_code,
        "error_message": job.error_message,
    }


@role_required(OPERATOR, ADMIN)
@require_GET
def import_status(request, import_id: int):
    job = get_object_or_404(ImportJob, pk=import_id)
    return JsonResponse(status_payload(job))


@role_required(OPERATOR, ADMIN)
@require_POST
def import_cancel_view(request, import_id: int):
    job = get_object_or_404(ImportJob, pk=import_id)
    import_cancel(job=job, request=request)
    messages.info(request, _("Cancellation requested."))
    return redirect("audiences:import", import_id=job.pk)


@role_required(OPERATOR, ADMIN)
@require_GET
def import_errors(request, import_id: int):
    return error_report_response(get_object_or_404(ImportJob, pk=import_id))
