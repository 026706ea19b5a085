"""Sessions end after idleness and after an absolute age; the key changes at sign-in."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _minutes(n: int):
    return timezone.now() + timezone.timedelta(minutes=n)


def test_an_idle_session_expires(client, make_user, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client.force_login(make_user("operator"))
    assert client.get("/").status_code == 200
    with time_machine.travel(_minutes(31)):
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_activity_keeps_the_session_alive(client, make_user, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client.force_login(make_user("operator"))
    for minutes in (20, 40, 60):
        with time_machine.travel(_minutes(minutes)):
            assert client.get("/").status_code == 200, minutes


def test_a_busy_session_still_ends_at_its_absolute_age(client, make_user, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    settings.SESSION_MAX_AGE_MINUTES = 60
    user = make_user("operator", username="busy")
    client.force_login(user)
    for minutes in (20, 40):
        with time_machine.travel(_minutes(minutes)):
            assert client.get("/").status_code == 200
    with time_machine.travel(_minutes(61)):
        response = client.get("/campaigns/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.session_expired", actor="busy").exists()


def test_signing_in_gives_the_session_a_new_key(client, make_user):
    make_user("operator", username="olga")
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    assert "_auth_user_id" in client.session
    assert client.session.session_key != before


def test_sign_out_ends_the_session_on_the_server(client, make_user):
    client.force_login(make_user("operator"))
    key = client.session.session_key
    client.post(reverse("logout"))
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=key).exists()


def test_a_session_from_before_the_absolute_limit_gets_one(client, make_user, settings):
    settings.SESSION_MAX_AGE_MINUTES = 60
    client.force_login(make_user("operator"))
    session = client.session
    del session["_auth_at"]
    session.save()
    assert client.get("/").status_code == 200
    assert "_auth_at" in client.session
