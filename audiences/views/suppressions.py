"""Suppression management: list/search, add one, bulk CSV, export, remove."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notify_console.roles import ADMIN, OPERATOR, role_required

from ..exports import suppression_export_response
from ..models import Suppression
from ..models.choices import SuppressionChannel, SuppressionReason
from ..selectors import SuppressionFilter, suppression_page
from ..services import SuppressionInputError, suppression_add, suppression_remove
from ..services.suppression_bulk import suppressions_import_csv
from ._util import int_or_none


@role_required(OPERATOR, ADMIN)
@require_http_methods(["GET", "POST"])
def suppressions(request):
    if request.method == "POST":
        day = parse_date(request.POST.get("expires_at", "").replace("/", "-")) if request.POST.get(
            "expires_at") else None
        expires = None
        if day:
            from datetime import datetime

            from django.utils import timezone

            expires = timezone.make_aware(datetime(day.year, day.month, day.day))
        try:
            row = suppression_add(channel=request.POST.get("channel", ""), address=request.POST.get("address", ""),
                                  reason=request.POST.get("reason", ""), source="manual",
                                  note=request.POST.get("note", ""), expires_at=expires, request=request)
            messages.success(request, _("Suppression added.") if row.created_now else _("Already suppressed."))
        except SuppressionInputError as exc:
            messages.error(request, f"{exc.code}: {exc}")
        return redirect("audiences:suppressions")
    filters = SuppressionFilter(channel=request.GET.get("channel", ""), reason=request.GET.get("reason", ""),
                                address=request.GET.get("address", ""))
    rows, next_before = suppression_page(filters, before_id=int_or_none(request.GET.get("before")))
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "audiences/suppressions.html", {
        "rows": rows, "next_before": next_before, "filters": filters, "query": query.urlencode(),
        "channels": SuppressionChannel.choices, "reasons": SuppressionReason.choices,
    })


@role_required(OPERATOR, ADMIN)
@require_POST
def suppression_bulk(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a CSV file."))
        return redirect("audiences:suppressions")
    result = suppressions_import_csv(upload=upload, source=request.POST.get("source", "") or "csv", request=request)
    if result.problem:
        messages.error(request, f"{result.problem[0]}: {result.problem[1]}")
    else:
        messages.success(request, _("%(added)d added, %(existing)d already present, %(rejected)d rejected.") % {
            "added": result.added, "existing": result.existing, "rejected": result.rejected})
        for err in result.errors[:20]:
            messages.warning(request, _("Line %(line)d: %(code)s") % {"line": err["line"], "code": err["code"]})
    return redirect("audiences:suppressions")


@role_required(OPERATOR, ADMIN)
@require_GET
def suppression_export(request):
    return suppression_export_response(request=request)


@role_required(OPERATOR, ADMIN)
@require_POST
def suppression_delete(request, suppression_id: int):
    suppression_remove(suppression=get_object_or_404(Suppression, pk=suppression_id), request=request,
                       note=request.POST.get("note", ""))
    messages.success(request, _("Suppression removed."))
    return redirect("audiences:suppressions")
