"""The half-authenticated state between the password and the second factor, kept in the session.

Until the second factor is passed nobody is logged in: ``request.user`` stays anonymous, so no view, the
admin or anything that trusts ``request.user`` can be reached with the password alone. The session only
remembers whose password was right, with which backend, since when and where to go afterwards.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.http import url_has_allowed_host_and_scheme

PENDING_USER = "_mfa_pending_user"
PENDING_BACKEND = "_mfa_pending_backend"
PENDING_SINCE = "_mfa_pending_since"
PENDING_NEXT = "_mfa_pending_next"
ENROL_SECRET = "_mfa_enrol_secret"  # noqa: S105  (a session key name, not a secret)
# When the password (and second factor) were passed: the absolute session age counts from here.
AUTH_AT = "_auth_at"


def start_pending(request, user, next_url: str) -> None:
    # A fresh session key at the password step: a key planted before sign-in (fixation) is worthless.
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_BACKEND] = user.backend
    request.session[PENDING_SINCE] = int(time.time())
    request.session[PENDING_NEXT] = next_url if safe_next(request, next_url) else ""


def pending_user(request):
    """The user whose password was right and who still owes the second factor, or None (also when expired)."""
    user_id = request.session.get(PENDING_USER)
    if user_id is None:
        return None
    if time.time() - request.session.get(PENDING_SINCE, 0) > settings.MFA_PENDING_MINUTES * 60:
        clear_pending(request)
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        clear_pending(request)
        return None
    user.backend = request.session.get(PENDING_BACKEND)
    return user


def is_pending(request) -> bool:
    return PENDING_USER in request.session


def pending_next(request) -> str:
    return request.session.get(PENDING_NEXT, "")


def clear_pending(request) -> None:
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_SINCE, PENDING_NEXT, ENROL_SECRET):
        request.session.pop(key, None)


def safe_next(request, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def session_too_old(request) -> bool:
    started = request.session.get(AUTH_AT)
    return started is not None and time.time() - started > settings.SESSION_MAX_AGE_MINUTES * 60
