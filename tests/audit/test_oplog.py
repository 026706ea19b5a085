"""The operation log: no state-changing view, page or API operation escapes it."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from audit.models import AuditEvent
from audit.oplog import SIGNAL_RECORDED_VIEWS, STATE_CHANGING, action_for, outcome_for
from notify_console.api import api
from notify_console.roles import ADMIN, PUBLIC_VIEWS

pytestmark = pytest.mark.django_db

_SAMPLE = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x"}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace or ""])) if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), f"{namespace}:{entry.name}" if namespace else entry.name, entry


def _url_for(route: str) -> str:
    route = re.sub(r"\(\?P<\w+>([^)]*)\)", _regex_sample, route)  # the admin's regex routes
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLE.get(m.group(1) or "str", "x"), route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def _regex_sample(match: re.Match) -> str:
    body = match.group(1)
    return body.split("|")[0] if re.fullmatch(r"[\w|]+", body) else "1"


def _page_views():
    for route, name, entry in _walk(get_resolver().url_patterns):
        if name.startswith("api:"):
            continue  # walked operation by operation below
        yield route, name, entry


def _user_allowed_for(entry, make_user, cache):
    roles = tuple(sorted(getattr(entry.callback, "allowed_roles", ()) or (ADMIN,)))
    if roles not in cache:
        cache[roles] = make_user(roles[0])
    return cache[roles]


def _op_events(view: str, method: str):
    return [e for e in AuditEvent.objects.filter(action=f"op.{method.lower()}") if e.details.get("view") == view]


def test_every_state_changing_page_request_is_recorded(client, make_user):
    client.raise_request_exception = False
    users, checked = {}, 0
    for route, name, entry in _page_views():
        if name in PUBLIC_VIEWS or name in SIGNAL_RECORDED_VIEWS:
            continue
        user = _user_allowed_for(entry, make_user, users)
        url = _url_for(route)
        for method in ("post", "delete"):
            client.force_login(user)
            response = getattr(client, method)(url)
            events = _op_events(name, method)
            assert events, f"{method.upper()} {url} ({name}) escaped the operation log"
            event = events[-1]
            assert event.actor == user.username
            assert event.details["status"] == response.status_code
            assert event.details["via"] == "ui"
            assert event.object_type == name[:64]
            checked += 1
    assert checked > 10


def _api_operations():
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                yield "/api/v1" + (bound.prefix + path).replace("//", "/"), operation


def test_every_state_changing_api_operation_is_recorded(client, make_user, token_for):
    client.raise_request_exception = False
    tokens = {}
    for path, operation in _api_operations():
        allowed = sorted(set().union(*(cb.allowed_roles for cb in operation.auth_callbacks)))
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in set(operation.methods) & STATE_CHANGING:
            if allowed[0] not in tokens:
                user = make_user(allowed[0])
                tokens[allowed[0]] = (user, token_for(user))
            user, token = tokens[allowed[0]]
            before = AuditEvent.objects.filter(action=f"op.{method.lower()}").count()
            client.generic(method, url, data="{}", content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
            events = list(AuditEvent.objects.filter(action=f"op.{method.lower()}").order_by("id")[before:])
            assert events, f"{method} {url} escaped the operation log"
            assert events[-1].actor == user.username
            assert events[-1].details["via"] == "api"
            assert events[-1].details["token_prefix"] == token[:10]


def test_a_refused_attempt_is_recorded_as_refused(client, make_user):
    operator = make_user("operator")
    client.force_login(operator)
    assert client.post("/audit/events/").status_code == 403
    event = AuditEvent.objects.get(action="op.post")
    assert (event.actor, event.outcome, event.details["view"]) == (operator.username, "refused", "audit:events")


def test_put_and_patch_are_recorded_too(client, make_user):
    client.force_login(make_user("auditor"))
    client.put("/audit/events/")
    client.patch("/audit/events/")
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"op.put", "op.patch"}


def test_ip_address_and_user_agent_are_kept(client, make_user):
    client.force_login(make_user("auditor"))
    client.post("/audit/events/", {"note": "x"}, headers={"User-Agent": "pytest-agent"}, REMOTE_ADDR="192.0.2.7")
    event = AuditEvent.objects.get(action="op.post")
    assert (event.ip, event.user_agent) == ("192.0.2.7", "pytest-agent")


def test_form_field_names_are_kept_but_never_their_values(client, make_user):
    client.force_login(make_user("auditor"))
    # The events page does not read a POST body, so nothing is parsed on its behalf either.
    client.post("/audit/events/", {"secret": "s3cr3t"})
    assert "s3cr3t" not in str(AuditEvent.objects.get(action="op.post").details)


def test_anonymous_requests_are_not_operations_by_a_person(client):
    client.post("/audit/events/")
    client.post("/api/v1/me")
    assert not AuditEvent.objects.filter(action__startswith="op.").exists()


@pytest.mark.parametrize("name", sorted(PUBLIC_VIEWS | {"admin:login"}))
def test_public_and_sign_in_views_are_left_to_their_own_events(name, rf):
    request = rf.post("/x")
    request.user = type("U", (), {"is_authenticated": True})()
    request.resolver_match = type("M", (), {"view_name": name, "kwargs": {}})()
    assert action_for(request, HttpResponse()) is None


def test_signing_in_and_out_is_recorded_once_by_the_auth_signals(client, make_user):
    from tests.conftest import PASSWORD

    user = make_user("auditor")
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    client.post("/accounts/logout/")
    actions = list(AuditEvent.objects.filter(id__gt=since).order_by("id").values_list("action", flat=True))
    assert actions == ["auth.login", "auth.logout"]


def test_viewing_personal_data_is_recorded(client, make_user, settings):
    settings.AUDIT_PERSONAL_DATA_VIEWS = ["audit:events"]  # stands in for audiences:recipient
    user = make_user("auditor")
    client.force_login(user)
    client.get("/audit/events/?recipient=090")
    event = AuditEvent.objects.get(action="op.view_personal_data")
    assert (event.actor, event.details["query"]) == (user.username, "recipient=090")


def test_the_recipient_page_is_a_personal_data_view_by_default(settings):
    assert "audiences:recipient" in settings.AUDIT_PERSONAL_DATA_VIEWS


def test_any_file_download_is_recorded(make_user):
    request = RequestFactory().get("/reports/x")
    request.user = make_user("operator")
    response = HttpResponse("a,b\n", headers={"Content-Disposition": 'attachment; filename="x.csv"'})
    assert action_for(request, response) == "op.download"
    assert action_for(request, HttpResponse("page")) is None


@pytest.mark.parametrize(("status", "outcome"), [(200, "ok"), (302, "ok"), (403, "refused"), (401, "refused"),
                                                 (400, "rejected"), (404, "rejected"), (500, "error")])
def test_status_maps_to_outcome(status, outcome):
    assert outcome_for(status) == outcome


def test_an_api_request_records_its_token_prefix_not_the_token(client, make_user, token_for):
    user = make_user("auditor")
    token = token_for(user)
    client.post("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    event = AuditEvent.objects.get(action="op.post")
    assert (event.actor, event.details["via"], event.details["token_prefix"]) == (user.username, "api", token[:10])
    assert token not in str(event.details)


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic abc", "Bearer nc_not-a-token"])
def test_a_malformed_or_unknown_token_is_anonymous(client, header):
    client.post("/api/v1/me", headers={"Authorization": header})
    assert not AuditEvent.objects.filter(action__startswith="op.").exists()


def test_opening_a_recipients_page_is_recorded_with_the_recipient(client, make_user):
    from audiences.models import Recipient

    taro = Recipient.objects.create(external_id="C-9", email="taro@example.jp")
    operator = make_user("operator")
    client.force_login(operator)
    assert client.get(f"/audiences/recipients/{taro.pk}/").status_code == 200
    event = AuditEvent.objects.get(action="op.view_personal_data")
    assert (event.actor, event.recipient_id, event.object_type) == (operator.username, taro.pk, "audiences:recipient")
