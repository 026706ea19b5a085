from __future__ import annotations

from django.shortcuts import render

from notify_console.roles import ADMIN, AUDITOR, role_required

from .selectors import EventFilter, event_page


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@role_required(AUDITOR, ADMIN)
def events(request):
    filters = EventFilter(
        action=request.GET.get("action", "").strip(),
        actor=request.GET.get("actor", "").strip(),
        campaign_id=_int_or_none(request.GET.get("campaign")),
    )
    rows, next_before = event_page(filters, before_id=_int_or_none(request.GET.get("before")))
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/events.html",
        {"events": rows, "filters": filters, "next_before": next_before, "query": query.urlencode()},
    )
