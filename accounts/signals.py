"""Every login (password-only, after the second factor, or ``force_login`` in tests) starts the absolute
session clock."""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .session import AUTH_AT, clear_pending


@receiver(user_logged_in)
def _start_session_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        clear_pending(request)
        request.session[AUTH_AT] = int(time.time())
