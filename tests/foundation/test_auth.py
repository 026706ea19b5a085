"""Sign-in, lockout, sign-out and account changes, each recorded in the audit table."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_has_a_password_field_and_speaks_japanese_by_default(client):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'type="password"' in page.text
    assert "ログイン" in page.text


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_successful_login_is_recorded_with_ip_and_user_agent(client, make_user):
    make_user("operator", username="olga")
    response = client.post(
        reverse("login"), {"username": "olga", "password": PASSWORD}, HTTP_USER_AGENT="pytest-browser"
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.ip, event.user_agent) == ("olga", "127.0.0.1", "pytest-browser")


def test_failed_login_is_recorded(client, make_user):
    make_user("operator", username="olga")
    assert _login(client, "olga", "wrong").status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.object_id, event.outcome) == ("olga", "refused")


def test_account_locks_after_repeated_failures_even_with_the_right_password(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("operator", username="olga")
    for _ in range(3):
        _login(client, "olga", "wrong")
    page = _login(client, "olga", PASSWORD)
    assert page.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_locked", object_id="olga").count() == 1


def test_lockout_of_one_user_does_not_lock_another(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 2
    make_user("operator", username="olga")
    make_user("operator", username="oscar")
    for _ in range(2):
        _login(client, "olga", "wrong")
    assert _login(client, "oscar", PASSWORD).status_code == 302


def test_logout_is_recorded(client, make_user):
    user = make_user("auditor", username="aiko")
    client.force_login(user)
    assert client.post(reverse("logout")).status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor="aiko").exists()


def test_role_changes_and_user_creation_are_recorded(make_user):
    user = make_user(username="newbie")
    assert AuditEvent.objects.filter(action="user.created", object_id=str(user.pk)).exists()
    user.groups.add(Group.objects.get(name="approver"))
    event = AuditEvent.objects.filter(action="user.roles_changed", object_id=str(user.pk)).latest("id")
    assert event.details["roles_now"] == ["approver"]
    assert event.details["change"] == "add"


def test_session_expires_after_idle_time(settings, client, make_user):
    # The idle timeout is the cookie age, renewed on each request.
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    client.force_login(make_user("operator"))
    client.get("/")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 60 * 60


def test_one_address_failing_for_many_names_is_locked_out(client, make_user, settings):
    # Per address the limit is four times the per-name one (an office behind one NAT shares an address).
    settings.LOGIN_MAX_FAILURES = 2
    make_user("operator", username="olga")
    for i in range(8):
        _login(client, f"guess{i}", "wrong")
    page = _login(client, "olga", PASSWORD)
    assert page.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_locked", object_id="olga", ip="127.0.0.1").exists()


def test_another_address_is_not_locked_by_one_address(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 2
    make_user("operator", username="olga")
    for i in range(8):
        _login(client, f"guess{i}", "wrong")
    response = client.post(reverse("login"), {"username": "olga", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302


def test_lockout_message_is_the_same_for_existing_and_unknown_names(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 2
    make_user("operator", username="olga")
    pages = {}
    for name in ("olga", "nobody-here"):
        for _ in range(2):
            _login(client, name, "wrong")
        pages[name] = _login(client, name, "wrong")
    errors = {name: page.context["form"].non_field_errors() for name, page in pages.items()}
    assert errors["olga"] == errors["nobody-here"]
    assert "olga" not in str(errors["olga"])
    assert AuditEvent.objects.filter(action="auth.login_locked", object_id="nobody-here").exists()


def test_wrong_password_and_unknown_name_get_the_same_answer(client, make_user):
    make_user("operator", username="olga")
    wrong = _login(client, "olga", "wrong").context["form"].non_field_errors()
    unknown = _login(client, "nobody-here", "wrong").context["form"].non_field_errors()
    assert wrong == unknown


def test_lockout_ends_after_the_window(client, make_user, settings):
    import time_machine
    from django.utils import timezone

    settings.LOGIN_MAX_FAILURES = 2
    make_user("operator", username="olga")
    for _ in range(2):
        _login(client, "olga", "wrong")
    assert "_auth_user_id" not in (_login(client, "olga", PASSWORD) and client.session)
    later = timezone.now() + timezone.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)
    with time_machine.travel(later):
        assert _login(client, "olga", PASSWORD).status_code == 302
