"""Delivery Status Notifications (RFC 3464) → Bounce events, classified by RFC 3463 status.

A DSN is mail to our VERP bounce address: ``multipart/report; report-type=delivery-status`` with a
``message/delivery-status`` part holding per-recipient ``Action``/``Status`` fields. The delivery id
comes from the VERP address the DSN was sent to, else from the returned message's Message-ID.
"""

from __future__ import annotations

import email
from email import policy
from email.message import Message

from ..mail.headers import message_id_from_header, verp_message_id
from ..mail.status import parse_enhanced
from .events import Bounce


def _delivery_status_blocks(part: Message) -> list[Message]:
    # The stdlib parses message/delivery-status into a list of header blocks (per-message, per-recipient).
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _returned_message_id(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                return message_id_from_header(str(inner.get("Message-ID", ""))) or ""
            if isinstance(inner, str):
                headers = email.message_from_string(inner, policy=policy.compat32)
                return message_id_from_header(str(headers.get("Message-ID", ""))) or ""
    return ""


def parse_dsn(raw: bytes, *, envelope_to: str = "") -> list[Bounce]:
    """Bounces for every failed/delayed recipient in ``raw``; [] when it is not a DSN."""
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    message_id = verp_message_id(envelope_to) or verp_message_id(str(msg.get("To", ""))) or _returned_message_id(msg)
    bounces = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _delivery_status_blocks(part):
            action = str(block.get("Action", "")).strip().lower()
            if action not in ("failed", "delayed"):
                continue
            status = parse_enhanced(str(block.get("Status", "")), str(block.get("Diagnostic-Code", "")).strip())
            if status is None:
                continue
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            address = recipient.split(";", 1)[-1].strip()
            bounces.append(Bounce.from_status(message_id=message_id, address=address, status=status))
    return bounces
