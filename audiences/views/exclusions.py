"""Exclusion lists: recipients a campaign must not reach (in litigation, deceased, handled by hand),
by customer number. A campaign picks one on its form; these pages create them and keep them."""

from __future__ import annotations

import re

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notify_console.roles import ADMIN, OPERATOR, role_required

from ..models import ExclusionEntry, ExclusionList
from ..normalize import normalize_external_id
from ..services import ExclusionInputError, exclusion_entries_add, exclusion_entry_remove, exclusion_list_create
from ._util import int_or_none

PAGE = 100
# One number per line as pasted from Excel, or separated by commas, semicolons or spaces (also full-width).
_SEPARATORS = re.compile(r"[\s,;、，；]+")


@role_required(OPERATOR, ADMIN)
@require_http_methods(["GET", "POST"])
def exclusion_lists(request):
    if request.method == "POST":
        try:
            row = exclusion_list_create(name=request.POST.get("name", ""),
                                        description=request.POST.get("description", ""), request=request)
        except ExclusionInputError as exc:
            messages.error(request, f"{exc.code}: {exc}")
            return redirect("audiences:exclusions")
        messages.success(request, _("Exclusion list created."))
        return redirect("audiences:exclusion", list_id=row.pk)
    rows = ExclusionList.objects.annotate(size=Count("entries")).order_by("-id")[:500]
    return render(request, "audiences/exclusions.html", {"rows": rows})


@role_required(OPERATOR, ADMIN)
@require_http_methods(["GET", "POST"])
def exclusion_list(request, list_id: int):
    row = get_object_or_404(ExclusionList, pk=list_id)
    if request.method == "POST":
        numbers = [n for n in _SEPARATORS.split(request.POST.get("external_ids", "")) if n]
        if not numbers:
            messages.error(request, _("Enter at least one customer number."))
            return redirect("audiences:exclusion", list_id=row.pk)
        try:
            added = exclusion_entries_add(exclusion_list=row, external_ids=numbers,
                                          reason=request.POST.get("reason", "").strip()[:300], request=request)
        except ExclusionInputError as exc:
            messages.error(request, f"{exc.code}: {exc}")
        else:
            distinct = len({normalize_external_id(n) for n in numbers} - {""})
            messages.success(request, _("%(added)d added, %(existing)d already on the list.") % {
                "added": added, "existing": distinct - added})
        return redirect("audiences:exclusion", list_id=row.pk)
    query = request.GET.get("q", "").strip()
    entries = row.entries.order_by("-id")
    if query:
        entries = entries.filter(external_id=normalize_external_id(query))
    before = int_or_none(request.GET.get("before"))
    if before is not None:
        entries = entries.filter(id__lt=before)
    page = list(entries[:PAGE + 1])
    return render(request, "audiences/exclusion_list.html", {
        "row": row, "entries": page[:PAGE], "next_before": page[PAGE - 1].pk if len(page) > PAGE else None,
        "size": row.entries.count(), "query": query,
    })


@role_required(OPERATOR, ADMIN)
@require_POST
def exclusion_entry_delete(request, list_id: int, entry_id: int):
    entry = get_object_or_404(ExclusionEntry, pk=entry_id, exclusion_list_id=list_id)
    exclusion_entry_remove(entry=entry, request=request)
    messages.success(request, _("%(number)s removed: campaigns using this list may reach that recipient again.") % {
        "number": entry.external_id})
    return redirect("audiences:exclusion", list_id=list_id)
