"""Provider webhooks: verify, parse, hand the events to the registered handler. Nothing else.

Public (listed in PUBLIC_VIEWS) because providers carry no session: each is protected by its
provider's signature instead — a forged or stale one gets 403 and nothing is parsed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..inbound import NoHandler, deliver
from ..inbound.replay import email_event_key, first_time, twilio_inbound_key, twilio_status_key
from ..inbound.twilio import message_id_from_query, parse_inbound_sms, parse_status_callback, verify_signature
from ..inbound.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookError, parse_events, verify

logger = logging.getLogger(__name__)
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _too_big(request) -> HttpResponse | None:
    # RequestLimitsMiddleware refuses these first; kept so the view is safe wherever it is mounted.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = settings.WEBHOOK_MAX_BYTES + 1
    if length <= settings.WEBHOOK_MAX_BYTES:
        return None
    logger.warning("refused a webhook (webhook.too_large): %s bytes to %s from %s", length, request.path,
                   request.META.get("REMOTE_ADDR"))
    return HttpResponse("webhook.too_large", status=413, content_type="text/plain")


def _forbidden(request, code: str, what: str) -> HttpResponse:
    logger.warning("refused %s (%s) from %s", what, code, request.META.get("REMOTE_ADDR"))
    return HttpResponseForbidden(code, content_type="text/plain")


def _deliver_once(request, key: str, events, what: str) -> HttpResponse | None:
    """Apply ``events`` once per ``key``; a replay is logged and answered 200 so the provider stops.

    The key is recorded in the same transaction as the events' effects: a failure rolls both back and
    the provider's retry is applied, not mistaken for a replay. ``None`` means applied.
    """
    with transaction.atomic():
        if key and not first_time(key):
            logger.warning("ignored a replayed %s (webhook.replayed, %s) from %s", what, key,
                           request.META.get("REMOTE_ADDR"))
            return HttpResponse("webhook.replayed", status=200, content_type="text/plain")
        try:
            deliver(events)
        except NoHandler:
            transaction.set_rollback(True)
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
    if refused := _too_big(request):
        return refused
    if not _twilio_verified(request):
        return _forbidden(request, "webhook.bad_signature", "a Twilio status callback")
    message_id = message_id_from_query(request.META.get("QUERY_STRING", ""))
    receipt = parse_status_callback(request.POST, message_id=message_id)
    key = twilio_status_key(request.POST)
    return _deliver_once(request, key, [receipt], "Twilio status callback") or HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request):
    if refused := _too_big(request):
        return refused
    if not _twilio_verified(request):
        return _forbidden(request, "webhook.bad_signature", "an inbound Twilio message")
    event = parse_inbound_sms(request.POST)
    key = twilio_inbound_key(request.POST)
    refused = _deliver_once(request, key, [event], "inbound Twilio message")
    if refused is not None and refused.status_code != 200:
        return refused
    # Empty TwiML (also to a replay): we reply nothing ourselves (Twilio's own STOP handling answers the handset).
    return HttpResponse(_EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def email_events(request):
    if refused := _too_big(request):
        return refused
    body = request.body
    signature = request.headers.get(SIGNATURE_HEADER, "")
    try:
        verify(
            body,
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            signature=signature,
            secret=settings.WEBHOOK_SECRET,
            max_age_s=settings.WEBHOOK_MAX_AGE_S,
        )
    except WebhookError as exc:
        return _forbidden(request, exc.code, "an email-event webhook")
    try:
        events = parse_events(body)
    except WebhookError as exc:
        logger.warning("refused an email-event webhook (%s): %s", exc.code, exc)
        return HttpResponse(exc.code, status=400, content_type="text/plain")
    # Inside the timestamp window the same signed request could be sent again: its signature is its key.
    return _deliver_once(request, email_event_key(signature), events, "email-event webhook") or HttpResponse(
        status=204)
