"""Each role signs in through Chromium and sees its own navigation and nothing else."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from notify_console.roles import NAVIGATION, ROLES
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _existing_pages():
    """NAVIGATION entries whose page exists (the base layout hides the others)."""
    for name, _label, allowed in NAVIGATION:
        try:
            yield name, reverse(name), allowed
        except NoReverseMatch:
            continue


def _expected(role: str) -> set[str]:
    return {name for name, _url, allowed in _existing_pages() if role in allowed}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_navigation(role, live_server, page, make_user, screenshot):
    make_user(role, username=f"{role}-user")
    sign_in(page, live_server.url, f"{role}-user", PASSWORD)
    shown = set(page.locator("nav.mainnav a").evaluate_all("els => els.map(e => e.dataset.nav)"))
    assert shown == _expected(role)
    assert page.locator(".who").get_attribute("data-roles") == role
    screenshot(role)
    # What the navigation hides is refused on the server too.
    for name, url, allowed in _existing_pages():
        if role not in allowed:
            response = page.goto(live_server.url + url)
            assert response.status == 403 or "/admin/login/" in page.url, f"{role} reached {name}"


def test_language_switch_to_english_and_back(live_server, page, make_user):
    make_user("operator", username="op")
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "ログイン"
    sign_in(page, live_server.url, "op", PASSWORD)
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Sign out")
    assert page.locator("h1").inner_text() == "Dashboard"
    page.select_option("select[name=language]", "ja")
    page.wait_for_selector("text=ログアウト")
