"""Celery tasks of the audiences app (found by autodiscovery)."""

from .imports.tasks import import_recipients_task, requeue_stale_imports

__all__ = ["import_recipients_task", "requeue_stale_imports"]
