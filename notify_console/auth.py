"""Login with lockout: repeated failures for one user name (or from one address) lock it for a while.

Failures are counted from the audit table itself (``auth.login_failed`` and ``auth.mfa_failed`` events),
so every web process on every machine sees the same count and nothing extra has to be stored. A wrong
second-factor code counts like a wrong password: knowing the password buys no more guesses at the code.

We lock rather than slow down: a progressive ``sleep`` in the request would hold a web worker per
attempt, handing an attacker an easy way to exhaust the server, while the lockout already bounds
guessing to ``LOGIN_MAX_FAILURES`` per user name (and four times that per address) per window.
A user name that does not exist is counted and locked exactly like one that does, and the message
names neither, so the lockout does not tell anyone which accounts exist.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import client_ip

LOGIN_FAILED = "auth.login_failed"
MFA_FAILED = "auth.mfa_failed"
LOGIN_LOCKED = "auth.login_locked"
# An address may fail more often than one user name: an office behind one NAT shares it.
IP_FAILURE_FACTOR = 4


def recent_failures(*, username: str = "", ip: str | None = None) -> int:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    events = AuditEvent.objects.filter(action__in=(LOGIN_FAILED, MFA_FAILED), at__gte=since)
    if username:
        return events.filter(object_id=username.lower()[:64]).count()
    return events.filter(ip=ip).count()


def is_locked_out(username: str, ip: str | None) -> bool:
    if username and recent_failures(username=username) >= settings.LOGIN_MAX_FAILURES:
        return True
    return bool(ip) and recent_failures(ip=ip) >= settings.LOGIN_MAX_FAILURES * IP_FAILURE_FACTOR


def record_locked(username: str, request) -> None:
    from audit.services import record

    record(action=LOGIN_LOCKED, actor="anonymous", request=request, object_type="auth.user",
           object_id=username.lower()[:64], outcome="refused")


class LockoutAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": _(
            "Too many failed sign-ins. Signing in is paused for %(minutes)s minutes; try again later."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if is_locked_out(username, client_ip(self.request) if self.request else None):
            record_locked(username, self.request)
            raise forms.ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": settings.LOGIN_LOCKOUT_MINUTES},
            )
        return super().clean()
