"""System checks: ``manage.py check`` (and ``check --deploy``) tell the admin what is missing."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.compatibility, deploy=True)
def broker_is_shared(app_configs, **kwargs):
    if settings.DEBUG or settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: Celery uses the file-system broker, which only works for workers "
            "on this one machine, and the send throttle is not shared between machines.",
            hint="Set REDIS_URL=redis://host:6379/0 in production.",
            id="notify.W001",
        )
    ]


@register(Tags.compatibility, deploy=True)
def database_is_server(app_configs, **kwargs):
    if settings.DEBUG or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return []
    return [
        Warning(
            "DATABASE_URL is not set: the embedded SQLite database is for trying the product out.",
            hint="Set DATABASE_URL=postgres://user:password@host:5432/notify in production.",
            id="notify.W002",
        )
    ]


from . import broker_check  # noqa: E402, F401  (registers the broker checks: visibility timeout, eviction)
