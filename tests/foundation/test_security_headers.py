"""Security headers on every page: CSP without 'unsafe-inline' scripts, no framing, HSTS under TLS; and no
template carries what that CSP would block (inline handlers, inline styles, inline scripts without the nonce)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _csp(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_pages_send_a_strict_content_security_policy(client, make_user):
    for response in (client.get(reverse("login")), _signed_in(client, make_user).get("/")):
        policy = _csp(response)
        assert policy["default-src"] == "'self'"
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["style-src"] == "'self'"
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"


def _signed_in(client, make_user):
    client.force_login(make_user("operator"))
    return client


def test_the_script_nonce_is_new_for_every_response(client):
    first = _csp(client.get(reverse("login")))["script-src"]
    second = _csp(client.get(reverse("login")))["script-src"]
    assert "'nonce-" in first and first != second


def test_report_only_mode(client, settings):
    settings.CSP_REPORT_ONLY = True
    settings.CSP_REPORT_URI = "/csp-report"
    response = client.get(reverse("login"))
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"].endswith("report-uri /csp-report")


def test_framing_sniffing_and_referrer_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_hsts_without_tls(client):
    assert "Strict-Transport-Security" not in client.get(reverse("login"), secure=True)


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_SSL_REDIRECT=True,
                   SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_hsts_redirect_and_secure_cookies_under_tls(client, make_user):
    assert client.get(reverse("login")).status_code == 301  # plain http is sent to https
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    make_user("operator", username="olga")
    from tests.conftest import PASSWORD

    signed_in = client.post(reverse("login"), {"username": "olga", "password": PASSWORD}, secure=True)
    cookie = signed_in.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_production_defaults_turn_tls_protections_on(tmp_path):
    """SECURE_TLS defaults to on when DEBUG is off (the test settings turn it off explicitly)."""
    from tests.foundation.test_settings import _SET_BY_TEST_SETTINGS, PRODUCTION, ROOT

    env = {k: v for k, v in os.environ.items() if k not in _SET_BY_TEST_SETTINGS}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="notify_console.settings", NOTIFY_VAR_DIR=str(tmp_path))
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["31536000", "True", "True", "True"], out.stderr


_INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
_STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I)
_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_nothing_the_policy_blocks(path):
    text = path.read_text(encoding="utf-8")
    assert not _INLINE_HANDLER.search(text), "inline on…= handler: use data-autosubmit / data-confirm (app.js)"
    assert not _STYLE_ATTRIBUTE.search(text), "style attribute: use a class in app.css or set it from a script"
    for attributes in _SCRIPT_TAG.findall(text):
        assert "src=" in attributes or 'nonce="{{ request.csp_nonce }}"' in attributes or "application/json" in \
            attributes, f"inline <script{attributes}> needs a static file (or, with server-rendered labels, the nonce)"


def test_only_pages_with_an_html_email_preview_allow_inline_styles_and_never_inline_scripts():
    from notify_console.middleware import content_security_policy

    relaxed = dict(part.strip().split(" ", 1) for part in content_security_policy("n", email_preview=True).split(";"))
    assert relaxed["style-src"] == "'self' 'unsafe-inline'"
    assert relaxed["script-src"] == "'self' 'nonce-n'"
    assert "unsafe-inline" not in content_security_policy("n")
