from __future__ import annotations

from celery import shared_task

from .runner import run_import


# An hour covers ~10^8 rows at the measured rate; acks_late + the claim in run_import make a
# redelivered task a no-op.
@shared_task(name="audiences.import_recipients", time_limit=3600, soft_time_limit=3540)
def import_recipients_task(job_id: int) -> str:
    return run_import(job_id).status
