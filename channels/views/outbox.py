"""The dev outbox page: what the embedded default "sent", as the recipient would see it."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from notify_console.roles import ADMIN, APPROVER, OPERATOR, role_required

from ..outbox import outbox_list, outbox_read


@role_required(OPERATOR, APPROVER, ADMIN)
def outbox(request):
    channel = request.GET.get("channel", "")
    items = [i for i in outbox_list(limit=500) if not channel or i.channel == channel][:200]
    return render(request, "channels/outbox.html", {"items": items, "channel": channel})


@role_required(OPERATOR, APPROVER, ADMIN)
def outbox_message(request, name: str):
    item = outbox_read(name)
    if item is None:
        raise Http404
    return render(request, "channels/outbox_message.html", {"item": item})
