"""The Celery app. Tasks live in each app's ``tasks.py`` and are found by autodiscovery."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notify_console.settings")

app = Celery("notify_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _check_broker(**kwargs) -> None:
    """A worker does not run Django's system checks: log the broker's (eviction policy, visibility
    timeout) when it is ready, so a broker that can drop tasks is seen where the tasks run."""
    from .broker_check import log_broker_problems

    log_broker_problems()
