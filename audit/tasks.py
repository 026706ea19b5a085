from __future__ import annotations

from celery import shared_task

from .sealing import seal_pending


@shared_task(name="audit.tasks.seal_audit", time_limit=300, soft_time_limit=280)
def seal_audit() -> int | None:
    seal = seal_pending()
    return seal.id if seal else None
