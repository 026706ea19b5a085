from __future__ import annotations

from celery import shared_task

from .integrity import integrity_verify
from .sealing import seal_pending
from .services import system_actor


@shared_task(name="audit.tasks.seal_audit", time_limit=300, soft_time_limit=280)
def seal_audit() -> int | None:
    seal = seal_pending()
    return seal.id if seal else None


# Recomputes every seal: about a minute per ten million events on one core.
@shared_task(name="audit.tasks.verify_audit", time_limit=3600, soft_time_limit=3500)
def verify_audit(requested_by: str = "") -> bool:
    actor = requested_by or system_actor("beat")
    return integrity_verify(actor=actor).ok
