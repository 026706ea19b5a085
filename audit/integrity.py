"""The integrity view's facts: the seal chain's last verification, the newest seal, what is not sealed yet.

Verifying recomputes every seal over every event (about a minute per ten million events), too slow for
a page view. So verification runs in ``verify_audit`` (the command), in a Celery task (beat, daily by
default, or the page's "Verify now" button), and each run records its verdict as an ``audit.verified``
event; the page shows the newest verdict, loudly when it is broken.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .anchor import Anchor, check_anchor
from .models import AuditEvent, AuditSeal
from .sealing import Verdict, verify_chain
from .services import record

VERIFIED = "audit.verified"


def _seal_facts(seal: AuditSeal | None) -> dict | None:
    if seal is None:
        return None
    return {
        "id": seal.id, "first_event_id": seal.first_event_id, "last_event_id": seal.last_event_id,
        "sealed_at": seal.sealed_at.isoformat(), "hash": seal.hash,
    }


def verify(anchor: Anchor | None = None) -> Verdict:
    """The chain recomputed, and, given an anchor, also required to reach and match it."""
    verdict = verify_chain()
    if anchor is None:
        return verdict
    reason = check_anchor(anchor)
    return replace(verdict, ok=verdict.ok and not reason, anchor=anchor.describe(), anchor_reason=reason)


def integrity_verify(*, actor: str | None = None, request=None, anchor: Anchor | None = None) -> Verdict:
    """Run the full verification and record its verdict (``audit.verified``, outcome ok/broken)."""
    verdict = verify(anchor)
    record(
        action=VERIFIED,
        actor=actor,
        request=request,
        object_type="audit.seal",
        object_id=str((verdict.broken_seal or verdict.last_good_seal or AuditSeal(id=0)).id),
        outcome="ok" if verdict.ok else "broken",
        details={
            "ok": verdict.ok,
            "verdict": verdict.describe(),
            "seals_checked": verdict.seals_checked,
            "events_checked": verdict.events_checked,
            "last_good_seal": _seal_facts(verdict.last_good_seal),
            "broken_seal": _seal_facts(verdict.broken_seal),
            "reason": verdict.reason,
            **({"anchor": {**asdict(anchor), "ok": not verdict.anchor_reason, "reason": verdict.anchor_reason}}
               if anchor else {}),
        },
    )
    return verdict


@dataclass(frozen=True)
class IntegrityStatus:
    last_seal: AuditSeal | None
    seal_count: int
    unsealed_events: int
    last_verification: AuditEvent | None
    seals_since_verification: int

    @property
    def broken(self) -> bool:
        return self.last_verification is not None and not self.last_verification.details.get("ok", False)


def integrity_status() -> IntegrityStatus:
    last_seal = AuditSeal.objects.order_by("-id").first()
    after = last_seal.last_event_id if last_seal else 0
    verification = AuditEvent.objects.filter(action=VERIFIED).order_by("-at", "-id").first()
    since = 0
    if verification is not None:
        checked = ((verification.details.get("last_good_seal") or {}).get("id")) or 0
        since = AuditSeal.objects.filter(id__gt=checked).count()
    return IntegrityStatus(
        last_seal=last_seal,
        seal_count=AuditSeal.objects.count(),
        unsealed_events=AuditEvent.objects.filter(id__gt=after).count(),
        last_verification=verification,
        seals_since_verification=since,
    )
