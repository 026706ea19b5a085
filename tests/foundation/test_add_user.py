from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from notify_console.models import ApiToken, hash_token
from notify_console.roles import user_roles

pytestmark = pytest.mark.django_db


def test_add_user_with_token_prints_the_token_last_and_stores_only_its_hash(monkeypatch, django_user_model):
    monkeypatch.setenv("NOTIFY_PASSWORD", "a-long-Passphrase-42")
    out = io.StringIO()
    call_command("add_user", "akira", "--role", "approver", "--token", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    user = django_user_model.objects.get(username="akira")
    assert user.check_password("a-long-Passphrase-42")
    assert user_roles(user) == {"approver"}
    stored = ApiToken.objects.get(user=user)
    assert stored.token_hash == hash_token(token)
    assert token not in (stored.token_hash, stored.prefix)


def test_add_user_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("NOTIFY_PASSWORD", "1234")
    with pytest.raises(CommandError, match="NOTIFY_PASSWORD"):
        call_command("add_user", "weak", "--role", "operator", stdout=io.StringIO())


def test_add_user_admin_role_gets_the_admin_site(monkeypatch, django_user_model):
    monkeypatch.setenv("NOTIFY_PASSWORD", "a-long-Passphrase-42")
    call_command("add_user", "root2", "--role", "admin", stdout=io.StringIO())
    user = django_user_model.objects.get(username="root2")
    assert user.is_staff and user.is_superuser
