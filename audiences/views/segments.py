"""Segment builder: rules edited in the browser, live count and preview from ``segment_preview``."""

from __future__ import annotations

import json

from django.contrib import messages
from django.db import IntegrityError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notify_console.roles import ADMIN, OPERATOR, role_required

from ..models import AudienceList, Segment
from ..segments import SegmentError
from ..segments.compiler import OPS
from ..selectors import segment_count, segment_preview
from ..services import segment_create, segment_delete, segment_update

DUNNING_EXAMPLE = {"match": "all", "rules": [
    {"field": "attributes.unpaid_amount", "op": "gt", "value": 0},
    {"field": "attributes.due_date", "op": "within_days", "value": 3},
]}


@role_required(OPERATOR, ADMIN)
@require_GET
def segments(request):
    return render(request, "audiences/segments.html", {"segments": Segment.objects.order_by("name")})


def _builder(request, segment: Segment | None, rules: dict, error: str | None = None, status: int = 200):
    return render(request, "audiences/segment_edit.html", {
        "segment": segment, "rules_json": json.dumps(rules, ensure_ascii=False, indent=1), "error": error,
        "lists": list(AudienceList.objects.order_by("name").values("id", "name")[:500]), "ops": sorted(OPS),
        "example": json.dumps(DUNNING_EXAMPLE, ensure_ascii=False),
    }, status=status)


@role_required(OPERATOR, ADMIN)
@require_http_methods(["GET", "POST"])
def segment_edit(request, segment_id: int | None = None):
    segment = get_object_or_404(Segment, pk=segment_id) if segment_id else None
    if request.method == "GET":
        return _builder(request, segment, segment.rules if segment else {"match": "all", "rules": []})
    raw = request.POST.get("rules", "")
    try:
        rules = json.loads(raw) if raw.strip() else {"match": "all", "rules": []}
    except ValueError:
        return _builder(request, segment, {"match": "all", "rules": []}, _("The rules are not valid JSON."), 400)
    name = request.POST.get("name", "").strip()
    if not name:
        return _builder(request, segment, rules if isinstance(rules, dict) else {}, _("Give the segment a name."), 400)
    try:
        if segment:
            segment_update(segment=segment, name=name, rules=rules, description=request.POST.get("description", ""),
                           request=request)
        else:
            segment = segment_create(name=name, rules=rules, description=request.POST.get("description", ""),
                                     request=request)
    except SegmentError as exc:
        return _builder(request, segment, rules if isinstance(rules, dict) else {}, f"{exc.code}: {exc.message}", 400)
    except IntegrityError:
        return _builder(request, segment, rules, _("A segment with this name exists."), 400)
    messages.success(request, _("Segment saved."))
    return redirect("audiences:segment", segment_id=segment.pk)


@role_required(OPERATOR, ADMIN)
@require_POST
def segment_preview_view(request):
    """Live count + first 20 for the builder: JSON body ``{"rules": {...}}``."""
    try:
        rules = json.loads(request.body or b"{}").get("rules") or {}
    except (ValueError, AttributeError):
        return JsonResponse({"code": "segment.bad_rules", "message": _("The rules are not valid JSON.")}, status=400)
    try:
        count = segment_count(rules)
        preview = segment_preview(rules)
    except SegmentError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=400)
    return JsonResponse({"count": count, "preview": [
        {"id": r.pk, "external_id": r.external_id, "name": r.name, "email": r.email, "phone": r.phone,
         "phone_type": r.phone_type} for r in preview]})


@role_required(OPERATOR, ADMIN)
@require_POST
def segment_delete_view(request, segment_id: int):
    segment_delete(segment=get_object_or_404(Segment, pk=segment_id), request=request)
    messages.success(request, _("Segment deleted."))
    return redirect("audiences:segments")
