"""Celery tasks of the delivery pipeline. Thin: they take ids and call ``campaigns.dispatch``.

All are ``acks_late`` (settings: a task whose worker dies is handed out again) and safe to run twice:
the claim conditions and the campaign's state decide what is done, not the task. The long ones
(materialisation) are ``guarded``: one that killed its worker ``SEND_POISON_DEATHS`` times is parked
(``dispatch.task_guard``); ``send_batch``'s rows have their own guard (``dispatch.reconcile``).
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from .dispatch.batch import run_batch
from .dispatch.fanout import fan_out
from .dispatch.materialise import campaign_materialise_rest, campaign_start
from .dispatch.reconcile import reconcile_expired_leases
from .dispatch.task_guard import guarded
from .dispatch.tick import tick

# A batch gives its worker back after half a lease and renews its rows' leases (between chunks and from a
# heartbeat during adapter calls), so these limits only end a batch stuck inside one adapter call. The
# soft limit propagates out of the adapter (it is never reported as a transient error): the untried rows
# are released and the chunk in flight is resent by the reconciler under the same delivery id.
_SEND_LIMITS = {"soft_time_limit": settings.SEND_LEASE_S * 2, "time_limit": settings.SEND_LEASE_S * 2 + 30}


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50, ignore_result=True)
def dispatch_tick() -> dict:
    report = tick(start=lambda pk: _later(start_campaign, pk), release=lambda pk: _later(release_rest, pk))
    return {k: v for k, v in vars(report).items() if v}


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50, ignore_result=True)
def reconcile_deliveries() -> int:
    return reconcile_expired_leases()


@shared_task(bind=True, acks_late=True, time_limit=1800, soft_time_limit=1700, ignore_result=True)
@guarded
def start_campaign(self, campaign_id: int) -> bool:
    """approved → sending: materialise, then fan out."""
    if not campaign_start(campaign_id=campaign_id):
        return False
    fan_out(campaign_id)
    return True


@shared_task(bind=True, acks_late=True, time_limit=1800, soft_time_limit=1700, ignore_result=True)
@guarded
def release_rest(self, campaign_id: int) -> bool:
    """After the pilot was released: rows for the rest of the audience, then fan out."""
    if not campaign_materialise_rest(campaign_id=campaign_id):
        return False
    fan_out(campaign_id)
    return True


@shared_task(acks_late=True, ignore_result=True, **_SEND_LIMITS)
def send_batch(campaign_id: int, first_id: int, last_id: int) -> dict:
    report = run_batch(campaign_id, first_id, last_id)
    return {k: v for k, v in vars(report).items() if v and k not in ("counts", "retry_at")}


def _later(task, campaign_id: int) -> None:
    transaction.on_commit(lambda: task.delay(campaign_id))
