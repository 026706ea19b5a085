"""Walk the whole URLconf and the API: every role gets 403 wherever it has no business.

New views are covered automatically: a view that neither declares its roles (``@role_required``)
nor is listed in ``PUBLIC_VIEWS`` fails ``test_every_view_declares_its_roles``.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from notify_console.api import RoleBearer, api
from notify_console.roles import PUBLIC_VIEWS, ROLES

pytestmark = pytest.mark.django_db

# Django's admin site does its own check (is_staff); the API has its own walk below.
_SEPARATELY_CHECKED_NAMESPACES = {"admin", "api"}
_SAMPLE = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x"}


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def _url_for(route: str) -> str:
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLE.get(m.group(1) or "str", "x"), route)
    return "/" + route.lstrip("^").rstrip("$")


def _app_views():
    for route, namespace, entry in _walk(get_resolver().url_patterns):
        if namespace in _SEPARATELY_CHECKED_NAMESPACES:
            continue
        yield route, entry


def test_every_view_declares_its_roles():
    undeclared = [
        route
        for route, entry in _app_views()
        if entry.name not in PUBLIC_VIEWS and not hasattr(entry.callback, "allowed_roles")
    ]
    assert undeclared == [], f"views without @role_required and not public: {undeclared}"


def test_each_role_is_refused_wherever_it_has_no_business(client, role_users):
    checked = 0
    for route, entry in _app_views():
        allowed = getattr(entry.callback, "allowed_roles", None)
        if allowed is None:
            continue
        url = _url_for(route)
        for role, user in role_users.items():
            client.force_login(user)
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                if role in allowed:
                    assert status != 403, f"{role} refused at {method.upper()} {url}"
                else:
                    assert status == 403, f"{role} got {status} at {method.upper()} {url}"
                checked += 1
        client.logout()
        assert client.get(url).status_code in (302, 403), f"anonymous reached {url}"
    assert checked > 0


def test_admin_site_is_for_admins_only(client, role_users):
    for role, user in role_users.items():
        client.force_login(user)
        status = client.get("/admin/").status_code
        assert status == (200 if role == "admin" else 302), f"{role} got {status} on /admin/"


def _api_operations():
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                yield "/api/v1" + (bound.prefix + path).replace("//", "/"), operation


def test_every_api_operation_requires_roles():
    for path, operation in _api_operations():
        assert operation.auth_callbacks, f"{path} has no authentication"
        assert all(isinstance(cb, RoleBearer) for cb in operation.auth_callbacks), path


def test_each_role_is_refused_by_api_operations_it_has_no_business_with(client, role_users, token_for):
    tokens = {role: token_for(user) for role, user in role_users.items()}
    checked = 0
    for path, operation in _api_operations():
        allowed = set().union(*(cb.allowed_roles for cb in operation.auth_callbacks))
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in operation.methods:
            assert client.generic(method, url).status_code == 401, f"anonymous {method} {url}"
            for role in ROLES:
                status = client.generic(method, url, headers={"Authorization": f"Bearer {tokens[role]}"}).status_code
                if role in allowed:
                    assert status not in (401, 403), f"{role} refused at {method} {url}"
                else:
                    assert status == 403, f"{role} got {status} at {method} {url}"
                checked += 1
    assert checked > 0
