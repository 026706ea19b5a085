from __future__ import annotations

from celery import shared_task

from .runner import run_import


# An hour covers ~10^8 rows at the measured rate; acks_late + the claim in run_import make a
# redelivered task a no-op.
@shared_task(name="audiences.import_recipients", time_limit=3600, soft_time_limit=3540)
def import_recipients_task(job_id: int) -> str:
    return run_import(job_id).status


@shared_task(name="audiences.requeue_stale_imports", time_limit=60, soft_time_limit=50)
def requeue_stale_imports() -> int:
    """Beat: send again the imports whose worker was lost (see ``runner.STALE_AFTER_S``)."""
    from datetime import timedelta

    from django.utils import timezone

    from ..models import ImportJob
    from .runner import STALE_AFTER_S

    stale = timezone.now() - timedelta(seconds=STALE_AFTER_S)
    ids = list(ImportJob.objects.filter(status=ImportJob.Status.RUNNING, started_at__lt=stale)
               .values_list("pk", flat=True)[:100])
    for job_id in ids:
        import_recipients_task.delay(job_id)
    return len(ids)
