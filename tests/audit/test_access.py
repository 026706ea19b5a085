"""Auditor pages and endpoints are for auditors and admins: operators and approvers get 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notify_console.roles import ADMIN, APPROVER, AUDITOR, OPERATOR

pytestmark = pytest.mark.django_db

PAGES = ["/audit/events/", "/audit/events/1/", "/audit/events/export/", "/audit/exports/1/manifest/",
         "/audit/integrity/"]
ENDPOINTS = ["/api/v1/audit/events", "/api/v1/audit/export"]


@pytest.mark.parametrize("role", [OPERATOR, APPROVER])
def test_operators_and_approvers_are_refused_every_auditor_page(client, role_users, role):
    client.force_login(role_users[role])
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("audit:integrity_verify")).status_code == 403


@pytest.mark.parametrize("role", [OPERATOR, APPROVER])
def test_operators_and_approvers_are_refused_every_audit_endpoint(client, role_users, token_for, role):
    headers = {"Authorization": f"Bearer {token_for(role_users[role])}"}
    for url in ENDPOINTS:
        assert client.get(url, headers=headers).status_code == 403, url


@pytest.mark.parametrize("role", [AUDITOR, ADMIN])
def test_auditors_and_admins_may_use_them(client, role_users, token_for, role):
    client.force_login(role_users[role])
    for url in ("/audit/events/", "/audit/integrity/", "/audit/events/export/"):
        assert client.get(url).status_code == 200, url
    headers = {"Authorization": f"Bearer {token_for(role_users[role])}"}
    for url in ENDPOINTS:
        assert client.get(url, headers=headers).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in PAGES:
        assert client.get(url).status_code == 302, url
    for url in ENDPOINTS:
        assert client.get(url).status_code == 401, url
