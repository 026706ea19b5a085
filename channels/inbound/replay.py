"""Replay defence for provider callbacks: each callback is applied once, by its own unique key.

``first_time(key)`` inserts the key and says whether it was new. Call it inside the transaction that
applies the callback (``channels/views/hooks.py`` does): if applying fails, the key is rolled back with
everything else, so the provider's retry is applied rather than mistaken for a replay.

Why keys and not a cache of signatures: Twilio signs no timestamp, so the same captured request
verifies forever, and a replayed START sent after the person's newer STOP would lift their opt-out.
Keys of inbound messages are therefore kept for good (replies are few); status-callback keys and
email-event signatures are pruned after ``WEBHOOK_REPLAY_DAYS`` by a daily beat task — a status
replayed later still changes nothing, because receipts only move a delivery forward.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

KEEP_FOREVER_PREFIX = "twilio:inbound:"


def _fit(key: str) -> str:
    # Provider ids are short; anything longer (a crafted value) is hashed to fit the column.
    return key if len(key) <= 200 else key[:120] + ":" + hashlib.sha256(key.encode()).hexdigest()


def first_time(key: str) -> bool:
    """True the first time ``key`` is seen (and records it); False for a replay."""
    from ..models import SeenCallback

    try:
        with transaction.atomic():
            SeenCallback.objects.create(key=_fit(key))
    except IntegrityError:
        return False
    return True


def twilio_status_key(params) -> str:
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    return f"twilio:status:{sid}:{status.lower()}:{params.get('ErrorCode', '')}" if sid else ""


def twilio_inbound_key(params) -> str:
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    return f"{KEEP_FOREVER_PREFIX}{sid}" if sid else ""


def email_event_key(signature: str) -> str:
    return f"notify:{signature}"


def prune(now: dt.datetime | None = None) -> int:
    """Forget status-callback and email-event keys older than WEBHOOK_REPLAY_DAYS; returns rows deleted."""
    from ..models import SeenCallback

    before = (now or timezone.now()) - dt.timedelta(days=settings.WEBHOOK_REPLAY_DAYS)
    deleted, _ = SeenCallback.objects.filter(seen_at__lt=before).exclude(key__startswith=KEEP_FOREVER_PREFIX).delete()
    return deleted
