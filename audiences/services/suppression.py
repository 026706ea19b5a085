from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import record

from ..models import Suppression
from ..models.choices import SuppressionChannel, SuppressionReason
from ..normalize import normalize_address
from ._actor import actor_name


class SuppressionInputError(ValueError):
    """Bad channel, reason or address; ``code`` is stable (``suppression.bad_address``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _validated(channel: str, address: str, reason: str) -> str:
    if channel not in SuppressionChannel.values:
        raise SuppressionInputError("suppression.bad_channel", f"unknown channel {channel!r}")
    if reason not in SuppressionReason.values:
        raise SuppressionInputError("suppression.bad_reason", f"unknown reason {reason!r}")
    normalized = normalize_address(channel, address or "")
    if not normalized:
        raise SuppressionInputError("suppression.bad_address", f"{address!r} is not a valid address for {channel}")
    return normalized


def suppression_add(
    *,
    channel: str,
    address: str,
    reason: str,
    source: str,
    user: Any = None,
    actor: str | None = None,
    request: Any = None,
    note: str = "",
    expires_at: datetime | None = None,
    audit: bool = True,
) -> Suppression:
    """Suppress ``address`` on ``channel`` ("email", "sms" or "all") for ``reason``; idempotent.

    Adding an entry that already exists and is active changes nothing and writes no event (the
    returned row has ``created_now = False``). An expired entry is re-activated with the new expiry.
    The address is normalised (lower-cased e-mail, E.164 phone); an invalid one raises
    ``SuppressionInputError``. The delivery pipeline calls this with ``actor="system:…"``.
    """
    normalized = _validated(channel, address, reason)
    who = actor_name(actor=actor, user=user, request=request)
    now = timezone.now()
    with transaction.atomic():
        row = Suppression.objects.select_for_update().filter(address=normalized, channel=channel, reason=reason).first()
        changed = "created"
        if row is None:
            try:
                with transaction.atomic():
                    row = Suppression.objects.create(
                        channel=channel, address=normalized, reason=reason, source=source[:200], note=note,
                        created_by=who, created_at=now, expires_at=expires_at,
                    )
            except IntegrityError:  # a concurrent add won the race: same outcome, nothing to do
                row = Suppression.objects.get(address=normalized, channel=channel, reason=reason)
                changed = ""
        elif not row.is_active(now):
            row.expires_at = expires_at
            row.source, row.created_by = source[:200], who
            row.save(update_fields=["expires_at", "source", "created_by"])
            changed = "reactivated"
        else:
            changed = ""
        row.created_now = changed == "created"
        if changed and audit:
            record(
                action="suppression.added", actor=who, request=request, obj=row, channel=channel, address=normalized,
                outcome=changed,
                details={"reason": reason, "source": source,
                         "expires_at": expires_at.isoformat() if expires_at else None},
            )
    return row


def suppression_remove(*, suppression: Suppression, user: Any = None, request: Any = None, note: str = "",
                       actor: str | None = None) -> None:
    """Delete an entry (e.g. a manual one added by mistake); the audit event keeps what it was and who
    removed it: the user, or ``actor`` for the system (an inbound START reply is ``system:receipts``)."""
    who = actor_name(actor=actor, user=user, request=request)
    with transaction.atomic():
        record(
            action="suppression.removed", actor=who, request=request, obj=suppression, channel=suppression.channel,
            address=suppression.address,
            details={"reason": suppression.reason, "source": suppression.source, "note": note},
        )
        suppression.delete()


def active_suppressions_for(address: str):
    now = timezone.now()
    return Suppression.objects.filter(address=address).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
