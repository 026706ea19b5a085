"""Anchors: the newest seal, exported for safekeeping outside the database.

The seal chain proves that nobody changed a sealed event *without also recomputing the seals*. Someone
with the owner's rights can do both: switch the triggers off, rewrite an event, recompute every seal from
there on; ``verify_chain()`` then passes. An anchor — the newest seal's id, range and hash, kept where the
database's administrators cannot write (printed, mailed to the auditor, a WORM bucket) — closes that
gap: ``verify_audit --anchor FILE`` requires the chain to still contain that seal with that hash. A
rewrite of anything up to the anchored seal changes its hash; a chain cut short loses the seal.
Events sealed after the newest anchor are protected by the chain alone: anchor often.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from django.db.models import Sum
from django.utils import timezone

from .models import AuditSeal
from .services import record

FORMAT = "notify-console/audit-anchor/1"
EXPORTED = "audit.anchor_exported"
_FIELDS = ("seal_id", "first_event_id", "last_event_id", "event_count", "events_total", "hash", "prev_hash",
           "sealed_at")
_INTS = {"seal_id", "first_event_id", "last_event_id", "event_count", "events_total"}


class AnchorError(Exception):
    """The anchor file cannot be used (not JSON, another format, a field missing)."""


@dataclass(frozen=True)
class Anchor:
    seal_id: int
    first_event_id: int
    last_event_id: int
    event_count: int
    events_total: int  # events in the chain up to and including this seal
    hash: str
    prev_hash: str
    sealed_at: str
    exported_at: str = ""

    @classmethod
    def of(cls, seal: AuditSeal) -> Anchor:
        total = AuditSeal.objects.filter(id__lte=seal.id).aggregate(n=Sum("event_count"))["n"] or 0
        return cls(seal.id, seal.first_event_id, seal.last_event_id, seal.event_count, total, seal.hash,
                   seal.prev_hash, seal.sealed_at.isoformat(), timezone.now().isoformat())

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise AnchorError(f"not an anchor file (not JSON: {exc})")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise AnchorError(f"not an anchor file (format is not {FORMAT!r})")
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise AnchorError(f"the anchor lacks {', '.join(missing)}")
        try:
            values = {name: int(data[name]) if name in _INTS else str(data[name]) for name in _FIELDS}
        except (TypeError, ValueError) as exc:
            raise AnchorError(f"the anchor has a field of the wrong type ({exc})")
        if not all(len(values[h]) == 64 and set(values[h]) <= set("0123456789abcdef") for h in ("hash", "prev_hash")):
            raise AnchorError("the anchor's hashes are not SHA-256 hex digests")
        return cls(**values, exported_at=str(data.get("exported_at", "")))

    def describe(self) -> str:
        return f"seal #{self.seal_id} (events {self.first_event_id}–{self.last_event_id}, hash {self.hash[:16]}…)"


def latest_anchor() -> Anchor | None:
    seal = AuditSeal.objects.order_by("-id").first()
    return Anchor.of(seal) if seal else None


def anchor_export(*, actor: str | None = None, request=None, destination: str = "") -> Anchor | None:
    """The newest seal as an anchor, recorded as ``audit.anchor_exported`` (with the hash, so the audit log
    itself says which anchors exist). None when nothing is sealed yet."""
    anchor = latest_anchor()
    if anchor is None:
        return None
    record(action=EXPORTED, actor=actor, request=request, object_type="audit.seal", object_id=str(anchor.seal_id),
           outcome="ok", details={**asdict(anchor), "destination": destination})
    return anchor


def check_anchor(anchor: Anchor) -> str:
    """Why the chain in the database does not reach and match ``anchor``; empty when it does.

    Only compares the anchored seal; ``verify_chain()`` proves the seals agree with the events and with
    each other, so the two together prove nothing up to the anchor changed."""
    seal = AuditSeal.objects.filter(id=anchor.seal_id).first()
    if seal is None:
        newest = AuditSeal.objects.order_by("-id").first()
        ends = f"the chain ends at seal #{newest.id} (event {newest.last_event_id})" if newest else "no seal is left"
        return f"the anchored {anchor.describe()} is missing: {ends}"
    now = Anchor.of(seal)
    differs = [name for name in ("first_event_id", "last_event_id", "event_count", "events_total", "prev_hash", "hash")
               if getattr(now, name) != getattr(anchor, name)]
    if differs:
        return (f"seal #{seal.id} no longer matches the anchor ({', '.join(differs)} differ; hash now "
                f"{seal.hash[:16]}…, anchored {anchor.hash[:16]}…): the chain was rewritten")
    return ""
