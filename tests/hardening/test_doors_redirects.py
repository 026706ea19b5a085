"""Open redirects: no door sends a browser off-site, however ``next`` is spelt; each attempt is logged.

The doors that take a destination from the request: sign-in (``?next=`` on GET and POST, also when
already signed in), sign-out, the language switch, the second-factor step, and the sign-in redirect of
any protected page. Plus the last line of defence: a view that builds a Location from user input.
"""

from __future__ import annotations

import logging

import pytest
from django.http import HttpResponseRedirect
from django.test import RequestFactory

from audit.models import AuditEvent
from notify_console.redirects import OffsiteRedirectMiddleware

from .conftest import logged

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"  # noqa: S105  (tests/conftest.py's default)

EVIL = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example/",
    "http://testserver@evil.example/",
    "https://evil.example%2f@testserver/",
    "/\t/evil.example",  # browsers drop the tab: //evil.example
]


def off_site(location: str) -> bool:
    return location.startswith(("//", "/\\", "\\")) or "://" in location.split("?")[0] or location.startswith(
        ("javascript:", "https:", "http:"))


@pytest.fixture
def operator(make_user):
    return make_user("operator", username="doors-operator")


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_never_redirects_off_site(target, client, operator, caplog):
    caplog.set_level(logging.WARNING)
    response = client.post(f"/accounts/login/?next={target}", {"username": "doors-operator", "password": PASSWORD,
                                                                "next": target})
    assert response.status_code == 302
    assert not off_site(response["Location"]), response["Location"]
    assert response["Location"] == "/"
    assert logged(caplog, "(redirect.unsafe_next) on POST /accounts/login/")


@pytest.mark.parametrize("target", EVIL)
def test_an_already_signed_in_visit_to_the_login_page_stays_on_site(target, client, operator, caplog):
    client.force_login(operator)
    caplog.set_level(logging.WARNING)
    response = client.get("/accounts/login/", {"next": target})
    assert response.status_code == 302 and not off_site(response["Location"]), response["Location"]
    assert logged(caplog, "(redirect.unsafe_next) on GET /accounts/login/")


@pytest.mark.parametrize("target", EVIL)
def test_sign_out_never_redirects_off_site(target, client, operator, caplog):
    client.force_login(operator)
    caplog.set_level(logging.WARNING)
    response = client.post("/accounts/logout/", {"next": target})
    assert response.status_code == 302 and not off_site(response["Location"]), response["Location"]
    assert logged(caplog, "(redirect.unsafe_next) on POST /accounts/logout/")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("target", EVIL)
def test_the_language_switch_never_redirects_off_site(method, target, client, caplog):
    caplog.set_level(logging.WARNING)
    before = AuditEvent.objects.count()
    response = getattr(client, method)("/i18n/setlang/", {"language": "en", "next": target})
    assert response.status_code in (302, 204)
    if response.status_code == 302:
        assert not off_site(response["Location"]), response["Location"]
    assert logged(caplog, f"(redirect.unsafe_next) on {method.upper()} /i18n/setlang/")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("target", EVIL[:4])
def test_the_second_factor_step_never_redirects_off_site(target, client, make_user, caplog):
    """An approver with TOTP: the destination survives the password step only if it is on-site."""
    import pyotp

    from accounts.mfa import mfa_enrol, new_secret

    approver = make_user("approver", username="doors-approver")
    secret = new_secret()
    recovery = mfa_enrol(user=approver, secret=secret, code=pyotp.TOTP(secret).now())
    caplog.set_level(logging.WARNING)
    step = client.post(f"/accounts/login/?next={target}", {"username": "doors-approver", "password": PASSWORD})
    assert step.status_code == 302 and not off_site(step["Location"]), step["Location"]
    # A recovery code: the TOTP code of this 30-second step was spent on enrolment (replay protection).
    done = client.post(f"/accounts/two-step/?next={target}", {"code": recovery[0], "next": target})
    assert done.status_code == 302 and not off_site(done["Location"]), done["Location"]
    assert logged(caplog, "(redirect.unsafe_next)")


@pytest.mark.parametrize("target", EVIL)
def test_a_redirect_built_from_user_input_anywhere_is_stopped_and_logged(target, caplog, settings):
    """The last line of defence: a (hypothetical) view that trusts ``?to=`` is overruled by the middleware."""
    settings.ALLOWED_HOSTS = ["testserver"]
    caplog.set_level(logging.WARNING)
    request = RequestFactory().get("/somewhere/", {"to": target})
    guard = OffsiteRedirectMiddleware(lambda req: HttpResponseRedirect.__new__(HttpResponseRedirect))

    def naive_view(req):
        response = HttpResponseRedirect("/")
        response["Location"] = req.GET["to"]  # what an open redirect looks like
        return response

    guard.get_response = naive_view
    response = guard(request)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert logged(caplog, "refused an off-site redirect (redirect.off_site) from GET /somewhere/")


def test_on_site_destinations_still_work(client, operator):
    response = client.post("/accounts/login/?next=/campaigns/", {"username": "doors-operator", "password": PASSWORD,
                                                                  "next": "/campaigns/"})
    assert response["Location"] == "/campaigns/"
