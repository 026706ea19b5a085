"""``/api/v1/audit/``: the auditor's search and export for programs (mounted by notify_console.api).

Both read the same query parameters as the search page (``from``, ``to``, ``campaign``, ``recipient``,
``recipient_id``, ``actor``, ``action``, ``outcome``), parsed by ``audit.filters.parse_filter``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import JsonResponse
from ninja import Field, Query, Router, Schema

from notify_console.api import roles
from notify_console.roles import ADMIN, AUDITOR

from .exports.service import ExportError
from .filters import FilterError, parse_filter
from .oplog import mark_recorded
from .selectors import event_page

router = Router(tags=["audit"])
MAX_LIMIT = 500


class EventQuery(Schema):
    date_from: str | None = Field(None, alias="from", description="first day, YYYY-MM-DD, in TIME_ZONE")
    date_to: str | None = Field(None, alias="to", description="last day (included)")
    campaign: int | None = None
    recipient: str | None = Field(None, description="customer number (external id), e-mail address or phone")
    recipient_id: int | None = None
    actor: str | None = None
    action: str | None = Field(None, description="exact, or a prefix when it ends with '.' or '*'")
    outcome: str | None = None


class EventOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    campaign_id: int | None
    recipient_id: int | None
    channel: str
    address: str
    outcome: str
    details: dict[str, Any]
    ip: str | None
    user_agent: str


class EventPageOut(Schema):
    items: list[EventOut]
    next_before: int | None = Field(description="pass as `before` for the next (older) page; null on the last")


def _bad_request(exc: FilterError | ExportError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "message": str(exc)}, status=400)


@router.get(
    "/events", response={200: EventPageOut, 400: dict}, auth=roles(AUDITOR, ADMIN),
    summary="Search audit events, newest first (keyset pagination)",
)
def events(request, query: Query[EventQuery], before: int | None = None, limit: int = 50):
    try:
        filters = parse_filter(request.GET)
    except FilterError as exc:
        return _bad_request(exc)
    rows, next_before = event_page(filters, before_id=before, size=max(1, min(limit, MAX_LIMIT)))
    return {"items": rows, "next_before": next_before}


@router.get(
    "/export", auth=roles(AUDITOR, ADMIN),
    summary="Export the matching events (or deliveries) as CSV or JSON Lines; X-Export-Rows / X-Export-SHA256",
)
def export(
    request, query: Query[EventQuery], format: str = "csv", encoding: str = "utf-8",  # noqa: A002
    kind: str = Query("events", description="events, or deliveries (then also status= and channel=)"),
):
    from .views.exports import export_response, run_export

    try:
        result = run_export(request, request.GET, kind)
    except (FilterError, ExportError) as exc:
        return _bad_request(exc)
    mark_recorded(request)
    return export_response(result)
