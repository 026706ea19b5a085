"""The poison-message guard for whole tasks, keyed by Celery task id (the per-delivery guard is in
``reconcile``). A task is ``acks_late`` with ``task_reject_on_worker_lost``: when its worker process dies
the broker hands the same message (same task id) out again. Every start of a task id is counted before
it runs and forgotten when it ends (success or exception), so the count that is left over is the number
of times the task killed its worker. At ``SEND_POISON_DEATHS`` the task is parked instead of run: an
error in the log and a ``task.parked`` audit event with the task's name, id and arguments.

The count lives in Redis when ``REDIS_URL`` is set (``INCR`` with a day's expiry), else in a file per task
id under ``VAR_DIR/task-starts`` (the embedded mode's processes share one machine).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)
KEY = "nc:task-starts:"
EXPIRY_S = 86400


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def _file(task_id: str) -> Path:
    directory = Path(settings.VAR_DIR) / "task-starts"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / "".join(c for c in task_id if c.isalnum() or c == "-")[:80]


def count_start(task_id: str) -> int:
    """Count one more start of ``task_id``; returns how many starts before this one never ended."""
    if settings.REDIS_URL:
        client = _redis()
        try:
            with client.pipeline() as pipe:
                started, _ = pipe.incr(KEY + task_id).expire(KEY + task_id, EXPIRY_S).execute()
            return int(started) - 1
        finally:
            client.close()
    path = _file(task_id)
    try:
        before = int(path.read_text() or 0)
    except (OSError, ValueError):
        before = 0
    path.write_text(str(before + 1))
    return before


def forget(task_id: str) -> None:
    if settings.REDIS_URL:
        client = _redis()
        try:
            client.delete(KEY + task_id)
        finally:
            client.close()
    else:
        _file(task_id).unlink(missing_ok=True)


def guarded(run):
    """Decorator for a bound task (``bind=True``): park it when it already killed its worker N times."""

    @functools.wraps(run)
    def wrapper(task, *args, **kwargs):
        task_id = task.request.id
        if not task_id or task.request.is_eager:
            return run(task, *args, **kwargs)
        deaths = count_start(task_id)
        if deaths >= settings.SEND_POISON_DEATHS:
            _park(task, deaths, args, kwargs)
            return None
        try:
            return run(task, *args, **kwargs)
        finally:
            forget(task_id)

    return wrapper


def _park(task, deaths: int, args, kwargs) -> None:
    from audit.services import record

    from . import ACTOR

    logger.error("parked task %s[%s] %s %s: its worker died %s times while running it", task.name,
                 task.request.id, args, kwargs, deaths)
    record(action="task.parked", actor=ACTOR, object_type="celery.task", object_id=str(task.request.id)[:64],
           outcome="parked", details={"task": task.name, "args": list(args), "kwargs": kwargs,
                                      "worker_deaths": deaths, "reason": "its worker died every time it ran"})
    forget(task.request.id)
