"""The public unsubscribe page: the link in every message and the RFC 8058 one-click target.

No login and no role: the signed token is the authority (see ``audiences.unsubscribe``). POST is
CSRF-exempt because RFC 8058 one-click requests come from mailbox providers with no cookie and no
token; the signature is what protects it, and the only effect is adding an opt-out.
"""

from __future__ import annotations

import contextlib

from django.core import signing
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..models import Recipient
from ..services import SuppressionInputError, suppression_add
from ..unsubscribe import read_token


def _bad(request):
    return render(request, "audiences/unsubscribe_invalid.html", status=400)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        target = read_token(token)
    except signing.BadSignature:
        return _bad(request)
    recipient = Recipient.objects.filter(pk=target.recipient_id).first()
    if recipient is None:
        return _bad(request)
    address = recipient.email if target.channel == "email" else recipient.phone
    masked = _mask(address)
    if request.method == "GET":
        return render(request, "audiences/unsubscribe.html",
                      {"channel": target.channel, "address": masked, "done": False, "token": token})
    if address:
        # An address that no longer validates cannot receive messages either.
        with contextlib.suppress(SuppressionInputError):
            suppression_add(
                channel=target.channel, address=address, reason="opt_out", source="unsubscribe_link",
                actor=f"recipient:{recipient.external_id}", request=request,
            )
    # 200 without a redirect: RFC 8058 senders only look at the status.
    return render(request, "audiences/unsubscribe.html", {"channel": target.channel, "address": masked, "done": True})


def _mask(address: str) -> str:
    """Show enough for the person to recognise their address without exposing it to a link-holder."""
    if not address:
        return ""
    if "@" in address:
        local, _, domain = address.partition("@")
        return (local[:2] + "•" * max(1, len(local) - 2)) + "@" + domain
    return "•" * max(0, len(address) - 4) + address[-4:]
