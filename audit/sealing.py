"""Tamper evidence without serialising writers.

A periodic seal takes the events after the last sealed id (leaving out the youngest seconds, whose
lower ids may still be committing), hashes them in id order together with the previous seal's hash,
and stores the result. ``verify_chain()`` recomputes every seal and names the first one that no longer
matches: a row changed, removed or slipped into a sealed range behind the triggers' back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent, AuditSeal

GENESIS = "0" * 64
_FIELDS = (
    "id", "at", "actor", "action", "object_type", "object_id", "campaign_id", "recipient_id",
    "channel", "address", "outcome", "details", "ip", "user_agent",
)
SEAL_MAX_EVENTS = 200_000
# pg_advisory_xact_lock key of the sealer (any constant no other code uses: "AUDSEAL" in ASCII).
SEAL_LOCK_KEY = 0x415544_5345414C


def _canonical(row: tuple) -> bytes:
    values = dict(zip(_FIELDS, row, strict=True))
    values["at"] = values["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _hash_range(prev_hash: str, first_id: int, last_id: int) -> tuple[str, int]:
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    count = 0
    rows = (
        AuditEvent.objects.filter(id__gte=first_id, id__lte=last_id)
        .order_by("id")
        .values_list(*_FIELDS)
        .iterator(chunk_size=5000)
    )
    for row in rows:
        digest.update(_canonical(row))
        digest.update(b"\n")
        count += 1
    return digest.hexdigest(), count


def _serialise_sealers() -> None:
    """One sealer at a time. A transaction-level advisory lock on PostgreSQL rather than ``SELECT … FOR
    UPDATE`` on the last seal: that would need UPDATE on the seal table, which the application's role must
    not have (``audit.db_roles``). SQLite's single writer (IMMEDIATE transactions) serialises anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])


def seal_pending(*, now=None) -> AuditSeal | None:
    """Seal the closed events not yet sealed; returns the new seal, or None when there is nothing."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUDIT_SEAL_DELAY_S)
    with transaction.atomic():
        _serialise_sealers()
        last = AuditSeal.objects.order_by("-id").first()
        after_id = last.last_event_id if last else 0
        prev_hash = last.hash if last else GENESIS
        candidates = AuditEvent.objects.filter(id__gt=after_id, at__lt=cutoff).order_by("id")
        ids = list(candidates.values_list("id", flat=True)[:SEAL_MAX_EVENTS])
        if not ids:
            return None
        first_id, last_id = after_id + 1, ids[-1]
        digest, count = _hash_range(prev_hash, first_id, last_id)
        return AuditSeal.objects.create(
            first_event_id=first_id, last_event_id=last_id, event_count=count, prev_hash=prev_hash, hash=digest
        )


@dataclass(frozen=True)
class Verdict:
    ok: bool
    seals_checked: int
    events_checked: int
    last_good_seal: AuditSeal | None
    broken_seal: AuditSeal | None = None
    reason: str = ""
    # Set when the chain was also checked against an exported anchor (audit.anchor): its description,
    # and why the chain does not reach and match it (empty when it does).
    anchor: str = ""
    anchor_reason: str = ""

    def describe(self) -> str:
        if self.ok:
            upto = f" up to event {self.last_good_seal.last_event_id}" if self.last_good_seal else ""
            matches = f" It reaches and matches the anchor, {self.anchor}." if self.anchor else ""
            return f"OK: {self.seals_checked} seals, {self.events_checked} events verified{upto}.{matches}"
        if self.broken_seal is None:
            return f"BROKEN against the anchor, {self.anchor}: {self.anchor_reason}"
        seal = self.broken_seal
        return (
            f"BROKEN: seal #{seal.id} (events {seal.first_event_id}–{seal.last_event_id}) "
            f"does not verify: {self.reason}"
        )


def verify_chain() -> Verdict:
    prev_hash, last_good, seals, events = GENESIS, None, 0, 0
    expected_first = 1
    for seal in AuditSeal.objects.order_by("id").iterator():
        reason = ""
        if seal.prev_hash != prev_hash:
            reason = "its previous-seal hash does not match the chain"
        elif seal.first_event_id != expected_first and seals > 0:
            reason = f"it starts at event {seal.first_event_id}, the previous seal ended at {expected_first - 1}"
        else:
            digest, count = _hash_range(prev_hash, seal.first_event_id, seal.last_event_id)
            if count != seal.event_count:
                reason = f"it covered {seal.event_count} events, the table now holds {count} in that range"
            elif digest != seal.hash:
                reason = "an event in the range was changed"
        if reason:
            return Verdict(False, seals, events, last_good, seal, reason)
        prev_hash, last_good, expected_first = seal.hash, seal, seal.last_event_id + 1
        seals += 1
        events += seal.event_count
    return Verdict(True, seals, events, last_good)
