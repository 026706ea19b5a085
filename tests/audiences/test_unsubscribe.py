"""The public unsubscribe page: signed links, RFC 8058 one-click POST, idempotent, forged links refused."""

from __future__ import annotations

import pytest
from django.test import Client

from audiences.models import Suppression
from audiences.unsubscribe import make_token, unsubscribe_url
from audit.models import AuditEvent

from .factories import recipient

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_url_is_absolute_from_public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://notify.example.jp/"
    url = unsubscribe_url(42, "email")
    assert url.startswith("https://notify.example.jp/audiences/u/") and url.endswith("/")


@pytest.mark.parametrize(("lang", "text"), [("ja", "配信停止"), ("en", "Unsubscribe")])
def test_get_shows_a_confirmation_page_and_changes_nothing(lang, text):
    r = recipient(email="taro@example.jp")
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    response = client.get(path_of(unsubscribe_url(r.pk, "email")))
    assert response.status_code == 200
    body = response.content.decode()
    assert text in body and "ta••@example.jp" in body and "<form" in body
    assert not Suppression.objects.exists()


def test_one_click_post_without_cookie_or_csrf_token_opts_out_once():
    r = recipient(email="Taro@Example.jp")
    client = Client(enforce_csrf_checks=True)
    url = path_of(unsubscribe_url(r.pk, "email"))
    first = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert first.status_code == 200  # no redirect
    again = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    row = Suppression.objects.get()
    assert (row.channel, row.address, row.reason, row.source) == ("email", "taro@example.jp", "opt_out",
                                                                  "unsubscribe_link")
    event = AuditEvent.objects.get(action="suppression.added")
    assert event.actor == f"recipient:{r.external_id}"


def test_sms_link_suppresses_the_phone_number():
    r = recipient(phone="+819012345678", phone_type="mobile")
    Client().post(path_of(unsubscribe_url(r.pk, "sms")))
    assert Suppression.objects.get().address == "+819012345678"
    assert Suppression.objects.get().channel == "sms"


@pytest.mark.parametrize("token", ["nonsense", make_token(1, "email")[:-2] + "xx", "WzEsImZheCJd:1x:abc"])
def test_forged_or_mangled_links_get_a_clear_400(token):
    recipient()
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/audiences/u/{token}/")
        assert response.status_code == 400
        assert "not valid" in response.content.decode() or "無効" in response.content.decode()
    assert not Suppression.objects.exists()


def test_a_token_signed_for_another_purpose_is_refused():
    from django.core import signing

    r = recipient()
    token = signing.dumps([r.pk, "email"], salt="something.else")
    assert Client().post(f"/audiences/u/{token}/").status_code == 400


def test_link_for_a_deleted_recipient_is_refused():
    assert Client().get(f"/audiences/u/{make_token(999999, 'email')}/").status_code == 400
