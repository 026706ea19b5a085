from __future__ import annotations

import json

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from notify_console.roles import ADMIN, AUDITOR, role_required

from ..filters import EventFilter, FilterError, parse_filter
from ..selectors import event_detail as select_event
from ..selectors import event_page, known_actions

COMMON_OUTCOMES = ["ok", "refused", "rejected", "error", "sent", "delivered", "failed", "bounced", "suppressed"]


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _action_suggestions() -> list[str]:
    return cache.get_or_set("audit:known_actions", known_actions, 300)


@role_required(AUDITOR, ADMIN)
def events(request):
    error = None
    try:
        filters = parse_filter(request.GET)
    except FilterError as exc:
        filters, error = None, exc
    rows, next_before = ([], None) if filters is None else event_page(
        filters, before_id=_int_or_none(request.GET.get("before"))
    )
    query = (filters or EventFilter()).as_query()
    exports = {
        label: reverse("audit:export") + "?" + urlencode({**query, **extra})
        for label, extra in (
            ("csv", {"format": "csv"}), ("csv_cp932", {"format": "csv", "encoding": "cp932"}),
            ("jsonl", {"format": "jsonl"}),
        )
    }
    return render(
        request,
        "audit/events.html",
        {
            "events": rows,
            "form": request.GET,
            "filter_error": error,
            "next_url": "?" + urlencode({**query, "before": next_before}) if next_before else "",
            "first_url": "?" + urlencode(query) if request.GET.get("before") else "",
            "exports": exports,
            "actions": _action_suggestions(),
            "outcomes": COMMON_OUTCOMES,
            "time_zone": settings.TIME_ZONE,
        },
    )


@role_required(AUDITOR, ADMIN)
def event_detail(request, event_id: int):
    found = select_event(event_id)
    if found is None:
        raise Http404
    event, seal = found
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "seal": seal,
            "details_json": json.dumps(event.details, ensure_ascii=False, indent=2, sort_keys=True),
            "is_export": event.action == "audit.exported",
        },
    )
