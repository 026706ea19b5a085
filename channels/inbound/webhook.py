"""The generic signed email-event webhook (bounces, complaints, deliveries from a mail relay or ESP).

Request: ``POST`` JSON, headers ``X-Notify-Timestamp: <unix seconds>`` and
``X-Notify-Signature: sha256=<hex HMAC-SHA256(WEBHOOK_SECRET, "<timestamp>." + body)>``. Binding the
timestamp into the MAC and refusing stale timestamps stops replays of a captured request.

Body: ``{"events": [{"type": "bounce", "message_id": "…", "address": "…", "status": "5.1.1",
"diagnostic": "…"}, {"type": "complaint", …, "feedback_type": "abuse"}, {"type": "delivered", …}]}``
(or one event object). ``message_id`` may be our delivery id, a Message-ID header (``<id@domain>``)
or missing when ``verp`` (the address the bounce was sent to) carries it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from ..mail.headers import message_id_from_header, verp_message_id
from ..mail.status import parse_enhanced
from .events import Bounce, Complaint, DeliveryReceipt

SIGNATURE_HEADER = "X-Notify-Signature"
TIMESTAMP_HEADER = "X-Notify-Timestamp"


class WebhookError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers a sender must add (used by tests and by relays we write ourselves)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"sha256={mac}"}


def verify(body: bytes, *, timestamp: str, signature: str, secret: str, max_age_s: int, now: float | None = None):
    """Raise WebhookError unless the signature is right and the timestamp fresh."""
    if not secret:
        raise WebhookError("webhook.not_configured", "WEBHOOK_SECRET is not set")
    if not timestamp.isdigit():
        raise WebhookError("webhook.timestamp_missing", "missing or malformed timestamp")
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature or ""):
        raise WebhookError("webhook.bad_signature", "signature does not match")
    if abs((time.time() if now is None else now) - int(timestamp)) > max_age_s:
        raise WebhookError("webhook.stale", "timestamp outside the accepted window (replay?)")


def _message_id(item: dict) -> str:
    raw = str(item.get("message_id") or "")
    if raw.startswith("<"):
        return message_id_from_header(raw) or ""
    return raw or verp_message_id(str(item.get("verp") or "")) or ""


def parse_events(body: bytes) -> list[Bounce | Complaint | DeliveryReceipt]:
    try:
        data = json.loads(body)
    except ValueError:
        raise WebhookError("webhook.bad_json", "body is not JSON")
    items = data.get("events") if isinstance(data, dict) and "events" in data else [data]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise WebhookError("webhook.bad_shape", "expected an event object or {'events': [...]}")
    events: list[Bounce | Complaint | DeliveryReceipt] = []
    for item in items:
        kind, message_id, address = item.get("type"), _message_id(item), str(item.get("address") or "")
        if kind == "bounce":
            status = parse_enhanced(str(item.get("status") or ""), str(item.get("diagnostic") or ""))
            if status is None:
                raise WebhookError("webhook.bad_status", "a bounce needs an RFC 3463 status such as 5.1.1")
            events.append(Bounce.from_status(message_id=message_id, address=address, status=status))
        elif kind == "complaint":
            feedback = str(item.get("feedback_type") or "abuse")
            events.append(Complaint(message_id=message_id, address=address, feedback_type=feedback))
        elif kind == "delivered":
            events.append(
                DeliveryReceipt(channel="email", message_id=message_id, provider_id=str(item.get("provider_id") or ""),
                                status="delivered")
            )
        else:
            raise WebhookError("webhook.unknown_type", f"unknown event type {kind!r}")
    return events
