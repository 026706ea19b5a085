"""Exclusion lists: recipients a campaign must not reach (in litigation, deceased, handled by hand),
by customer number. A campaign picks one on its form; these pages create them and keep them."""

from __future__ import annotations

import re

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notify_console.roles import ADMIN, OPERATOR, role_required

from .. import selectors
from ..models import ExclusionEntry, ExclusionList
from ..normalize import normalize_external_id
from ..services import ExclusionInputError, exclusion_entries_add, exclusion_entry_remove, exclusion_list_create
from ..services.exclusions import exclusion_numbers
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
    rows = selectors.exclusion_lists()
    return render(request, "audiences/exclusions.html", {"rows": rows})


@role_required(OPERATOR, ADMIN)
@require_http_methods(["GET", "POST"])
def exclusion_list(request, list_id: int):
    row = get_object_or_404(ExclusionList, pk=list_id)
    if request.method == "POST":
        numbers = exclusion_numbers(_SEPARATORS.split(request.POST.get("external_ids", "")))
        if not numbers:
            messages.error(request, _("Enter at least one customer number."))
            return redirect("audiences:exclusion", list_id=row.pk)
        try:
            added = exclusion_entries_add(exclusion_list=row, external_ids=numbers,
                                          reason=request.POST.get("reason", ""), request=request)
        except ExclusionInputError as exc:
            messages.error(request, f"{exc.code}: {exc}")
        else:
            messages.success(request, _("%(added)d added, %(existing)d already on the list.") % {
                "added": added, "existing": len(numbers) - added})
        return redirect("audiences:exclusion", list_id=row.pk)
    query = request.GET.get("q", "").strip()
    entries = row.entries.all()
    if query:
        entries = entries.filter(external_id=normalize_external_id(query))
    page, next_before = selectors.keyset_page(entries, before_id=int_or_none(request.GET.get("before")), size=PAGE)
    return render(request, "audiences/exclusion_list.html", {
        "row": row, "entries": page, "next_before": next_before,
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
