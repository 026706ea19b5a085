"""The HTTP API under ``/api/v1/``.

django-ninja: the OpenAPI schema comes from the type hints of the endpoints themselves, so it cannot
drift from the code, and it adds little on top of plain Django views. Every endpoint authenticates
with a Bearer token and checks roles server-side through ``RoleBearer``; endpoints state their roles
with ``auth=roles(...)``, which a test reads to prove each role is refused elsewhere.
"""

from __future__ import annotations

import json

from django.shortcuts import render
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.openapi.docs import Swagger, _csrf_needed
from ninja.security import HttpBearer

from .models import ApiToken, hash_token
from .roles import ANY_ROLE, has_role, user_roles


class RoleBearer(HttpBearer):
    """Bearer-token auth: 401 for a missing or bad token, 403 for a user without one of ``roles``."""

    def __init__(self, *allowed_roles: str) -> None:
        super().__init__()
        self.allowed_roles = frozenset(allowed_roles)

    def authenticate(self, request, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        if not has_role(row.user, *self.allowed_roles):
            raise HttpError(403, "Your role does not allow this.")
        return row.user


def roles(*allowed: str) -> RoleBearer:
    return RoleBearer(*allowed)


class LocalSwagger(Swagger):
    """Swagger UI from ninja's own template and static files (``notify_console.ninja_assets``).

    ninja renders this page from its template only when the literal ``"ninja"`` is in
    INSTALLED_APPS, and otherwise from a CDN; the context is ninja's own (``Swagger.render_page``).
    """

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, self.template, {"swagger_settings": json.dumps(self.settings, indent=1), "api": api,
                                               "add_csrf": _csrf_needed(api)})


api = NinjaAPI(
    title="Notify Console API",
    version="1",
    urls_namespace="api",
    auth=roles(*ANY_ROLE),
    docs=LocalSwagger(),
    docs_url="/docs",
)


def _mount_app_routers() -> None:
    """Each app exposes ``router`` in its ``api.py``; mounting them here keeps the URLs in one place."""
    from importlib import import_module

    for prefix, module in (("", "audiences.api"), ("", "campaigns.api"), ("", "channels.api"), ("/audit", "audit.api")):
        try:
            router = import_module(module).router
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        api.add_router(prefix, router)


class MeOut(Schema):
    id: int
    username: str
    roles: list[str]


@api.get("/me", response=MeOut, auth=roles(*ANY_ROLE), summary="The authenticated user and their roles")
def me(request):
    user = request.auth
    return {"id": user.id, "username": user.get_username(), "roles": sorted(user_roles(user))}


_mount_app_routers()
