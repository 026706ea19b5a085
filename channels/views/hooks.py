"""Provider webhooks: verify, parse, hand the events to the registered handler. Nothing else.

Public (listed in PUBLIC_VIEWS) because providers carry no session: each is protected by its
provider's signature instead — a forged or stale one gets 403 and nothing is parsed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..inbound import NoHandler, deliver
from ..inbound.twilio import message_id_from_query, parse_inbound_sms, parse_status_callback, verify_signature
from ..inbound.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookError, parse_events, verify

logger = logging.getLogger(__name__)
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _too_big(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.WEBHOOK_MAX_BYTES


def _deliver(events) -> HttpResponse | None:
    try:
        deliver(events)
    except NoHandler:
        logger.error("inbound events dropped: no handler registered (is the campaigns app installed?)")
        return HttpResponse("no handler", status=503)
    return None


def _twilio_verified(request) -> bool:
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    return verify_signature(url, dict(request.POST.lists()), signature, settings.TWILIO_AUTH_TOKEN)


@csrf_exempt
@require_POST
def twilio_status(request):
    if _too_big(request):
        return HttpResponse(status=413)
    if not _twilio_verified(request):
        logger.warning("refused a Twilio status callback (bad signature) from %s", request.META.get("REMOTE_ADDR"))
        return HttpResponseForbidden("bad signature")
    message_id = message_id_from_query(request.META.get("QUERY_STRING", ""))
    receipt = parse_status_callback(request.POST, message_id=message_id)
    return _deliver([receipt]) or HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request):
    if _too_big(request):
        return HttpResponse(status=413)
    if not _twilio_verified(request):
        logger.warning("refused an inbound Twilio message (bad signature) from %s", request.META.get("REMOTE_ADDR"))
        return HttpResponseForbidden("bad signature")
    event = parse_inbound_sms(request.POST)
    # Empty TwiML: we reply nothing ourselves (Twilio's own STOP handling answers the handset).
    return _deliver([event]) or HttpResponse(_EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def email_events(request):
    if _too_big(request):
        return HttpResponse(status=413)
    body = request.body
    try:
        verify(
            body,
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            secret=settings.WEBHOOK_SECRET,
            max_age_s=settings.WEBHOOK_MAX_AGE_S,
        )
    except WebhookError as exc:
        logger.warning("refused an email-event webhook (%s) from %s", exc.code, request.META.get("REMOTE_ADDR"))
        return HttpResponseForbidden(exc.code)
    try:
        events = parse_events(body)
    except WebhookError as exc:
        return HttpResponse(exc.code, status=400)
    return _deliver(events) or HttpResponse(status=204)
