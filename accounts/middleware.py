"""Two session guards, placed right after Django's AuthenticationMiddleware.

``SecondFactorMiddleware``: a half-authenticated session (password right, second factor owed) that asks
for any page other than the second-factor steps, sign-out, language switch or the public/signed URLs is
sent to the second-factor page, which returns it there afterwards. The API is left alone: it
authenticates with Bearer tokens, never with the session (tokens are issued by an admin and are the
second factor's equivalent for machines; see README).

``SessionAgeMiddleware``: idle expiry is the cookie age (renewed on every request); this adds an absolute
limit counted from sign-in, after which the session ends even if it was used all along.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from audit.services import record
from notify_console.roles import PUBLIC_VIEWS

from .session import AUTH_AT, is_pending, pending_user, session_too_old

# Reachable while the second factor is owed (url names).
_PENDING_ALLOWED = {"mfa_verify", "mfa_enrol", "login", "logout", "set_language"}


def _url_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not _is_api(request) and is_pending(request):
            name = _url_name(request.path_info)
            open_to_anyone = name in _PENDING_ALLOWED or (name in PUBLIC_VIEWS and name != "home")
            if not open_to_anyone:
                if pending_user(request) is None:  # expired meanwhile
                    return redirect_to_login(request.get_full_path())
                query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
                return redirect(reverse("mfa_verify") + (f"?{query}" if query else ""))
        return self.get_response(request)


class SessionAgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and AUTH_AT not in request.session:
            request.session[AUTH_AT] = int(time.time())  # a session from before this limit existed: count from now
        if request.user.is_authenticated and not _is_api(request) and session_too_old(request):
            record(action="auth.session_expired", user=request.user, request=request, obj=request.user,
                   outcome="ok", details={"reason": "absolute_age"})
            logout(request)
            messages.info(request, _("Your session has ended. Please sign in again."))
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
