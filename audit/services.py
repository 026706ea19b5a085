"""The one writer of the audit table.

``record()`` writes one event, ``record_many()`` a batch (the send path). Nothing else in the code
base creates ``AuditEvent`` rows, and nothing can change them once written.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import AuditEvent

_USER_AGENT_MAX = 400


def system_actor(component: str = "worker") -> str:
    return f"system:{component}@{socket.gethostname()}"


def actor_of(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return user.get_username()


def client_ip(request: Any) -> str | None:
    from django.conf import settings

    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


@dataclass(frozen=True)
class Event:
    """An event not yet written; ``record_many`` takes a list of these."""

    action: str
    actor: str
    object_type: str = ""
    object_id: str = ""
    campaign_id: int | None = None
    recipient_id: int | None = None
    channel: str = ""
    address: str = ""
    outcome: str = ""
    details: dict = field(default_factory=dict)
    ip: str | None = None
    user_agent: str = ""
    at: datetime | None = None

    def to_model(self) -> AuditEvent:
        return AuditEvent(
            at=self.at or timezone.now(),
            actor=self.actor[:150],
            action=self.action,
            object_type=self.object_type,
            object_id=str(self.object_id)[:64],
            campaign_id=self.campaign_id,
            recipient_id=self.recipient_id,
            channel=self.channel,
            address=self.address[:320],
            outcome=self.outcome,
            details=self.details,
            ip=self.ip,
            user_agent=self.user_agent[:_USER_AGENT_MAX],
        )


def record(
    *,
    action: str,
    actor: str | None = None,
    user: Any = None,
    request: Any = None,
    obj: Any = None,
    **fields: Any,
) -> AuditEvent:
    """Write one audit event.

    ``actor`` wins over ``user``, which wins over ``request.user``. ``obj`` (a model instance) fills
    ``object_type``/``object_id`` unless they are given. With a ``request`` the client's IP address and
    user agent are kept.
    """
    if actor is None:
        actor = actor_of(user if user is not None else getattr(request, "user", None))
    if obj is not None:
        fields.setdefault("object_type", obj._meta.label_lower)
        fields.setdefault("object_id", str(obj.pk))
    if request is not None:
        fields.setdefault("ip", client_ip(request))
        fields.setdefault("user_agent", request.META.get("HTTP_USER_AGENT", ""))
    event = Event(action=action, actor=actor, **fields).to_model()
    event.save(force_insert=True)
    return event


def record_many(events: Iterable[Event], *, batch_size: int = 2000) -> int:
    """Write many events in bulk (one INSERT per ``batch_size``); returns how many."""
    rows = [event.to_model() for event in events]
    AuditEvent.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def record_many_copy(events: Sequence[Event]) -> int:
    """``record_many`` through PostgreSQL's ``COPY … FROM STDIN`` (the send path: thousands of events a
    second, where building model instances and a multi-row INSERT cost more than the rows themselves).
    Same rows, same truncation as ``Event.to_model``; on other databases it is ``record_many``."""
    if connection.vendor != "postgresql":
        return record_many(events)
    if not events:
        return 0
    now = timezone.now()
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for e in events:
            copy.write_row((
                e.at or now, e.actor[:150], e.action, e.object_type, str(e.object_id)[:64], e.campaign_id,
                e.recipient_id, e.channel, e.address[:320], e.outcome, json.dumps(e.details),
                e.ip, e.user_agent[:_USER_AGENT_MAX],
            ))
    return len(events)


# The columns a SELECT given to ``record_from_select`` returns, in this order.
EVENT_COLUMNS = ("at", "actor", "action", "object_type", "object_id", "campaign_id", "recipient_id", "channel",
                 "address", "outcome", "details", "ip", "user_agent")


def record_from_select(select_sql: str, params: Sequence[Any] = ()) -> int:
    """Write one event per row of ``select_sql`` in a single ``INSERT … SELECT``; returns how many.

    For events counted in hundreds of thousands that already exist as rows (the skipped deliveries of a
    campaign): no round trip through Python. The SELECT returns ``EVENT_COLUMNS`` in that order, with
    ``details`` as JSON (``json_build_object(…)::jsonb`` on PostgreSQL, ``json_object(…)`` on SQLite) and
    ``at`` as a parameter adapted with ``connection.ops.adapt_datetimefield_value``. Run it inside the
    caller's transaction, just before it commits (a long transaction delays sealing, see ``sealing``).
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql}", params)  # noqa: S608 (our own SQL)
        return max(cursor.rowcount, 0)
