"""Recipient list (keyset pagination, fast at a million rows) and detail with consents."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditEvent
from notify_console.roles import ADMIN, OPERATOR, role_required

from ..models import AudienceList, Consent, Recipient, Suppression
from ..models.choices import Channel
from ..selectors import RecipientFilter, recipient_estimate, recipient_lists, recipient_page
from ..services import consent_grant, consent_revoke
from ._util import int_or_none


@role_required(OPERATOR, ADMIN)
@require_GET
def recipients(request):
    filters = RecipientFilter(q=request.GET.get("q", ""), list_id=int_or_none(request.GET.get("list")))
    rows, next_before = recipient_page(filters, before_id=int_or_none(request.GET.get("before")))
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "audiences/recipients.html", {
        "rows": rows, "next_before": next_before, "filters": filters, "query": query.urlencode(),
        "lists": AudienceList.objects.order_by("name")[:500], "estimate": recipient_estimate(),
    })


@role_required(OPERATOR, ADMIN)
@require_GET
def recipient(request, recipient_id: int):
    row = get_object_or_404(Recipient, pk=recipient_id)
    addresses = [a for a in (row.email_normalized, row.phone) if a]
    suppressions = Suppression.objects.filter(address__in=addresses).order_by("-id") if addresses else []
    history = (AuditEvent.objects.filter(recipient_id=row.pk).filter(Q(action__startswith="send.") |
                                                                     Q(action__startswith="delivery."))
               .order_by("-id")[:100])
    return render(request, "audiences/recipient.html", {
        "r": row, "lists": recipient_lists(row),
        "suppressions": suppressions, "consents": Consent.objects.filter(recipient=row).order_by("-granted_at"),
        "history": history, "channels": Channel.choices,
    })


@role_required(OPERATOR, ADMIN)
@require_POST
def consent_add(request, recipient_id: int):
    row = get_object_or_404(Recipient, pk=recipient_id)
    granted = parse_datetime(request.POST.get("granted_at", "").replace(" ", "T")) if request.POST.get(
        "granted_at") else None
    try:
        consent_grant(recipient=row, channel=request.POST.get("channel", ""), source=request.POST.get("source", ""),
                      wording=request.POST.get("wording", ""), evidence=request.POST.get("evidence", ""),
                      granted_at=granted, request=request)
        messages.success(request, _("Consent recorded."))
    except ValueError:
        messages.error(request, _("A consent needs a channel, its source and the wording agreed to."))
    return redirect("audiences:recipient", recipient_id=row.pk)


@role_required(OPERATOR, ADMIN)
@require_POST
def consent_revoke_view(request, consent_id: int):
    consent = get_object_or_404(Consent, pk=consent_id)
    consent_revoke(consent=consent, reason=request.POST.get("reason", ""), request=request)
    messages.success(request, _("Consent revoked."))
    return redirect("audiences:recipient", recipient_id=consent.recipient_id)
