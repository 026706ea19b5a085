"""Password rules (length 12 by default, common, numeric, similar to the user) wherever a password is set."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short-pw-11", "password_too_short"),
        ("password1234", "password_too_common"),
        ("40298340298340", "password_entirely_numeric"),
        ("hanako.yamada.jp", "password_too_similar"),
    ],
)
def test_weak_passwords_are_refused(make_user, password, code):
    user = make_user(username="hanako.yamada")
    user.email = "hanako.yamada@example.jp"
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password(password, user)
    assert code in {e.code for e in refused.value.error_list}


def test_minimum_length_is_twelve_by_default(settings):
    lengths = [v.get("OPTIONS", {}).get("min_length") for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert 12 in lengths
    password_validation.validate_password("kumo-to-umi7")  # 12 characters


def test_add_user_refuses_a_password_under_twelve_characters(monkeypatch):
    monkeypatch.setenv("NOTIFY_PASSWORD", "Kumo-umi-7x")  # 11
    with pytest.raises(CommandError, match="NOTIFY_PASSWORD"):
        call_command("add_user", "newcomer", "--role", "operator")


def test_the_admin_password_form_applies_the_rules(make_user):
    user = make_user("operator", username="olga")
    form = AdminPasswordChangeForm(user, {"password1": "tooshort", "password2": "tooshort", "usable_password": "true"})
    assert not form.is_valid()
    assert "password2" in form.errors


def test_everyone_can_change_their_own_password_under_the_same_rules(client, make_user):
    from django.urls import reverse

    from audit.models import AuditEvent
    from tests.conftest import PASSWORD

    user = make_user("auditor", username="aiko")
    client.force_login(user)
    url = reverse("password_change")
    page = client.post(url, {"old_password": PASSWORD, "new_password1": "short-pw", "new_password2": "short-pw"})
    assert page.status_code == 200 and 'data-field="new_password2"' in page.text
    key = client.session.session_key
    done = client.post(url, {"old_password": PASSWORD, "new_password1": "umi-no-mieru-oka-77",
                             "new_password2": "umi-no-mieru-oka-77"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("umi-no-mieru-oka-77")
    assert client.session.session_key != key and client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.password_changed", actor="aiko").exists()
