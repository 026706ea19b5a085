"""Start-up validation of channel settings, also shown by ``manage.py check``.

``startup_errors()`` is shared: ``ChannelsConfig.ready`` raises the first one (so web, worker and
beat all refuse to start with a short DKIM key or an unknown backend), and the system checks list
them all with hints.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from .adapters import BACKENDS, SMS
from .mail.dkim import signer_from_settings


def startup_errors() -> list[str]:
    errors = []
    try:
        signer_from_settings()
    except ImproperlyConfigured as exc:
        errors.append(str(exc))
    if settings.SMS_BACKEND not in BACKENDS[SMS]:
        errors.append(f"SMS_BACKEND={settings.SMS_BACKEND!r}: expected one of {', '.join(sorted(BACKENDS[SMS]))}")
    elif settings.SMS_BACKEND == "twilio":
        missing = [n for n in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM") if not getattr(settings, n)]
        if missing:
            errors.append(f"{', '.join(missing)}: required when SMS_BACKEND=twilio")
    return errors


@register(Tags.compatibility)
def channel_settings(app_configs, **kwargs):
    return [Error(message, id=f"notify_channels.E00{i}") for i, message in enumerate(startup_errors(), 1)]

