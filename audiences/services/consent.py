from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import record

from ..models import Consent, Recipient
from ..models.choices import Channel
from ._actor import actor_name


def consent_grant(*, recipient: Recipient, channel: str, source: str, wording: str, granted_at: datetime | None = None,
                  evidence: str = "", user: Any = None, actor: str | None = None, request: Any = None) -> Consent:
    """Record that ``recipient`` agreed to marketing on ``channel`` (特定電子メール法 keeps these)."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not source.strip() or not wording.strip():
        raise ValueError("a consent needs its source and the wording agreed to")
    who = actor_name(actor=actor, user=user, request=request)
    with transaction.atomic():
        consent = Consent.objects.create(
            recipient=recipient, channel=channel, source=source.strip(), wording=wording, evidence=evidence,
            granted_at=granted_at or timezone.now(), created_by=who,
        )
        record(action="consent.granted", actor=who, request=request, obj=consent, recipient_id=recipient.pk,
               channel=channel, details={"source": consent.source, "granted_at": consent.granted_at.isoformat()})
    return consent


def consent_revoke(*, consent: Consent, reason: str = "", user: Any = None, actor: str | None = None,
                   request: Any = None) -> Consent:
    """Mark a consent revoked (the row stays as evidence); revoking twice changes nothing."""
    if consent.revoked_at is not None:
        return consent
    who = actor_name(actor=actor, user=user, request=request)
    with transaction.atomic():
        consent.revoked_at, consent.revoked_by, consent.revoke_reason = timezone.now(), who, reason[:500]
        consent.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        record(action="consent.revoked", actor=who, request=request, obj=consent, recipient_id=consent.recipient_id,
               channel=consent.channel, details={"reason": reason})
    return consent
