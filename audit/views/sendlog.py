"""The send log pages: deliveries, one delivery's history, and a campaign's full record.

Every model of ``campaigns`` is reached through ``audit.sendlog`` (the app registry, lazily): the
audit app imports no app of ours.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from notify_console.roles import ADMIN, AUDITOR, role_required

from ..filters import FilterError
from ..sendlog.filters import DeliveryFilter, parse_delivery_filter
from ..sendlog.models import delivery_model
from ..sendlog.selectors import campaign_record, delivery_history, delivery_page, histories

STATUSES = ["pending", "sending", "sent", "delivered", "bounced", "failed", "skipped"]


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _exports(query: dict) -> dict[str, str]:
    base = reverse("audit:deliveries_export") + "?"
    return {
        "csv": base + urlencode(query), "csv_cp932": base + urlencode({**query, "encoding": "cp932"}),
        "jsonl": base + urlencode({**query, "format": "jsonl"}),
    }


@role_required(AUDITOR, ADMIN)
def deliveries(request):
    error = None
    try:
        filters = parse_delivery_filter(request.GET)
    except FilterError as exc:
        filters, error = None, exc
    rows, next_before = ([], None) if filters is None else delivery_page(
        filters, before_id=_int_or_none(request.GET.get("before")))
    query = (filters or DeliveryFilter()).as_query()
    return render(request, "audit/deliveries.html", {
        "deliveries": rows, "form": request.GET, "filter_error": error, "statuses": STATUSES,
        "next_url": "?" + urlencode({**query, "before": next_before}) if next_before else "",
        "exports": _exports(query),
    })


@role_required(AUDITOR, ADMIN)
def delivery_detail(request, delivery_id: int):
    delivery = delivery_model().objects.select_related("recipient").filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    return render(request, "audit/delivery_detail.html", {"delivery": delivery, "history": delivery_history(delivery)})


@role_required(AUDITOR, ADMIN)
def campaign(request, campaign_id: int):
    """Everything an auditor asks about one campaign: what was approved by whom, and every delivery
    with its full status history (a page at a time)."""
    found = campaign_record(campaign_id)
    if found is None:
        raise Http404
    filters = DeliveryFilter(campaign_id=campaign_id, status=request.GET.get("status", "").strip())
    rows, next_before = delivery_page(filters, before_id=_int_or_none(request.GET.get("before")))
    history = histories(campaign_id, rows)
    query = filters.as_query()
    return render(request, "audit/campaign.html", {
        "record": found, "c": found.campaign, "rows": [(d, history.get(d.id, [])) for d in rows],
        "statuses": STATUSES, "status": filters.status,
        "next_url": "?" + urlencode({k: v for k, v in {**query, "before": next_before}.items() if k != "campaign"})
        if next_before else "",
        "exports": _exports(query),
        "events_url": reverse("audit:events") + "?" + urlencode({"campaign": campaign_id}),
    })
