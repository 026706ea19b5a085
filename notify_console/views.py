from __future__ import annotations

import logging

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .roles import user_roles

log = logging.getLogger(__name__)


@never_cache
def home(request):
    """The dashboard for anyone with a role; anonymous visitors go to the login page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "home.html", {"roles": sorted(user_roles(request.user))})


@require_GET
@never_cache
def healthz(request):
    """Database and broker reachability, for load balancers and docker healthchecks."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:
        log.warning("healthz: database unreachable: %s", exc)
        return f"error: {type(exc).__name__}"


def _check_broker() -> str:
    try:
        from .celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:
        log.warning("healthz: broker unreachable: %s", exc)
        return f"error: {type(exc).__name__}"
