from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from notify_console.roles import ADMIN, AUDITOR, role_required

from ..exports.service import ExportError, ExportResult, audit_export, manifest_of
from ..filters import FilterError, parse_filter
from ..models import AuditEvent
from ..oplog import mark_recorded
from ..sendlog.filters import parse_delivery_filter


def export_response(result: ExportResult) -> FileResponse:
    """The file with its manifest in headers (browsers cannot read trailers; see exports.service)."""
    response = FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=result.content_type
    )
    response["X-Export-Rows"] = str(result.rows)
    response["X-Export-SHA256"] = result.sha256
    response["X-Export-Event"] = str(result.event.id)
    response["X-Export-Manifest"] = reverse("audit:export_manifest", args=[result.event.id])
    response["Cache-Control"] = "no-store"
    return response


def run_export(request, params, kind: str = "events") -> ExportResult:
    """Parse filters and options from ``params`` and export; raises FilterError / ExportError."""
    if kind not in ("events", "deliveries"):
        raise ExportError("export.bad_kind", _("Unknown export %(value)s.") % {"value": kind})
    return audit_export(
        kind=kind,
        filters=parse_filter(params) if kind == "events" else parse_delivery_filter(params),
        fmt=params.get("format", "csv") or "csv",
        encoding=params.get("encoding", "utf-8") or "utf-8",
        request=request,
    )


@role_required(AUDITOR, ADMIN)
@require_GET
def export(request, kind: str = "events"):
    try:
        result = run_export(request, request.GET, kind)
    except (FilterError, ExportError) as exc:
        return HttpResponseBadRequest(f"{exc.code}: {exc}", content_type="text/plain; charset=utf-8")
    mark_recorded(request)  # audit.exported says more than the operation log's op.download would
    return export_response(result)


@role_required(AUDITOR, ADMIN)
@require_GET
def export_manifest(request, event_id: int):
    event = AuditEvent.objects.filter(id=event_id, action="audit.exported").first()
    if event is None:
        raise Http404
    return JsonResponse(manifest_of(event), json_dumps_params={"ensure_ascii": False, "indent": 2})
