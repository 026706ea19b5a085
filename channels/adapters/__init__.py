"""Adapter registry: a dict of dotted paths per channel, chosen by settings.

Adding a provider = one module in ``channels/adapters/`` with an ``Adapter`` subclass, and one line
here. ``EMAIL_URL``'s scheme picks the email backend (``smtp``/``smtps`` → ``smtp``, ``outbox://``,
``memory://``), ``SMS_BACKEND`` the SMS one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import EMAIL, SMS, Adapter, OutgoingMessage, SendResult

BACKENDS: dict[str, dict[str, str]] = {
    EMAIL: {
        "smtp": "channels.adapters.smtp.SmtpAdapter",
        "outbox": "channels.adapters.outbox.OutboxAdapter",
        "memory": "channels.adapters.memory.MemoryAdapter",
    },
    SMS: {
        "twilio": "channels.adapters.twilio.TwilioAdapter",
        "outbox": "channels.adapters.outbox.OutboxAdapter",
        "memory": "channels.adapters.memory.MemoryAdapter",
    },
}

__all__ = ["BACKENDS", "EMAIL", "SMS", "Adapter", "OutgoingMessage", "SendResult", "backend_name", "get_adapter"]


def backend_name(channel: str) -> str:
    """The configured backend for ``channel``: "smtp", "twilio", "outbox", "memory", …"""
    if channel == EMAIL:
        return settings.EMAIL_SETTINGS["backend"]
    if channel == SMS:
        return settings.SMS_BACKEND
    raise ValueError(f"unknown channel {channel!r}")


def get_adapter(channel: str, backend: str | None = None) -> Adapter:
    """A fresh adapter for ``channel`` (not yet opened). Use it as a context manager around a batch."""
    name = backend or backend_name(channel)
    try:
        path = BACKENDS[channel][name]
    except KeyError:
        variable = "EMAIL_URL" if channel == EMAIL else "SMS_BACKEND"
        raise ImproperlyConfigured(
            f"{variable}: no {channel} backend named {name!r}; known: {', '.join(sorted(BACKENDS[channel]))}"
        )
    adapter = import_string(path).from_settings(channel)
    adapter.channel, adapter.name = channel, name
    return adapter
