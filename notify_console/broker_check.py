"""Start-up checks of the Celery broker against the delivery guarantees (``manage.py check``, and logged
when a worker is ready — see ``notify_console.celery``).

- notify.E010: Redis' ``visibility_timeout`` must be longer than the longest countdown a task is queued
  with plus the longest task time limit; otherwise a task that is still waiting or running (acks_late:
  unacknowledged) is handed to a second worker.
- notify.W011: a Redis broker whose ``maxmemory-policy`` can evict keys may drop queued tasks (and the
  unacked-task bookkeeping) under memory pressure. Run it with ``noeviction`` (docker-compose does).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

logger = logging.getLogger(__name__)
SAFE_POLICY = "noeviction"


def longest_countdown_s() -> float:
    """The longest countdown anything queues a task with: a batch's retry of deferred rows (capped at
    ``SEND_RETRY_MAX_S``, plus half a second). Everything else is started by beat, without an ETA."""
    return settings.SEND_RETRY_MAX_S + 0.5


def longest_time_limit_s() -> float:
    from django.utils.module_loading import autodiscover_modules

    from notify_console.celery import app

    autodiscover_modules("tasks")  # every app's tasks, each with its own limits (not Celery's loader: it runs checks)
    limits = [settings.CELERY_TASK_TIME_LIMIT or 0]
    limits += [task.time_limit for task in app.tasks.values() if getattr(task, "time_limit", None)]
    return float(max(limits))


def visibility_timeout_s() -> float | None:
    if not settings.REDIS_URL:
        return None
    return float(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600))  # kombu's default


@register(Tags.compatibility)
def visibility_timeout_is_long_enough(app_configs, **kwargs):
    timeout = visibility_timeout_s()
    if timeout is None:
        return []
    needed = longest_countdown_s() + longest_time_limit_s()
    if timeout > needed:
        return []
    return [Error(
        f"CELERY_VISIBILITY_TIMEOUT_S is {timeout:.0f} s, not longer than the longest countdown plus the longest "
        f"task time limit ({needed:.0f} s): Redis would hand a task that is still waiting or running to a second "
        "worker.",
        hint=f"Set CELERY_VISIBILITY_TIMEOUT_S above {needed:.0f}.",
        id="notify.E010",
    )]


def eviction_policy(url: str) -> str | None:
    """The Redis server's ``maxmemory-policy`` (``None`` when it cannot be read: unreachable, or CONFIG
    disabled as on some managed services)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return str(client.config_get("maxmemory-policy").get("maxmemory-policy") or "") or None
        finally:
            client.close()
    except redis.RedisError:
        return None


@register(Tags.compatibility)
def broker_cannot_evict(app_configs, **kwargs):
    if not settings.REDIS_URL:
        return []
    policy = eviction_policy(settings.REDIS_URL)
    if policy is None or policy == SAFE_POLICY:
        return []
    return [Warning(
        f"The Redis broker's maxmemory-policy is {policy!r}: under memory pressure Redis may evict queued "
        "tasks, and a campaign would then only go on at the next stall sweep.",
        hint="Run Redis with --maxmemory-policy noeviction (and --appendonly yes), as docker-compose.yml does.",
        id="notify.W011",
    )]


def log_broker_problems() -> list:
    """Run both checks and log what they find (a worker's start-up); returns the messages."""
    found = visibility_timeout_is_long_enough(None) + broker_cannot_evict(None)
    for message in found:
        logger.warning("%s: %s %s", message.id, message.msg, message.hint or "")
    return found
