"""Browser check: the main pages of every role run under the Content-Security-Policy without a single
violation (Chromium reports each one as a `securitypolicyviolation` event and a console error)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from campaigns.permissions import grant_approve_permission
from notify_console.roles import NAVIGATION, ROLES
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.e2e.test_totp import make_submitted_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded by the page itself from its first moment (Playwright's init scripts are not subject to the CSP).
_LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _pages_for(role: str, campaign) -> list[str]:
    urls = []
    for name, _label, allowed in NAVIGATION:
        if role in allowed:
            try:
                urls.append(reverse(name))
            except NoReverseMatch:
                continue
    extra = {
        "operator": ["campaigns:new", "campaigns:template_new", "audiences:segment_new",
                     ("campaigns:detail", campaign.pk), ("campaigns:monitor", campaign.pk),
                     ("campaigns:template_detail", campaign.template_id)],
        "approver": [("campaigns:review", campaign.pk), ("campaigns:detail", campaign.pk)],
        "auditor": [("audit:campaign", campaign.pk), ("campaigns:detail", campaign.pk)],
        "admin": [("admin:auth_user_changelist",), ("admin:auth_user_change", campaign.created_by_id),
                  ("admin:accounts_totpdevice_changelist",), ("campaigns:review", campaign.pk)],
    }[role]
    for entry in extra:
        name, *args = (entry,) if isinstance(entry, str) else entry
        urls.append(reverse(name, args=args))
    return urls


@pytest.fixture
def listening_page(page):
    console = []
    page.add_init_script(_LISTEN)
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.csp_console = console
    return page


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp || []") + page.csp_console


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_of_each_role_pass_the_csp(role, live_server, listening_page, make_user, screenshot):
    page = listening_page
    operator = make_user("operator", username="op-csp")
    grant_approve_permission()
    campaign = make_submitted_campaign(operator)
    user = operator if role == "operator" else make_user(role, username=f"{role}-csp")
    page.goto(live_server.url + reverse("login"))
    assert _violations(page) == [], "login page"
    sign_in(page, live_server.url, user.get_username(), PASSWORD)
    seen = {}
    for url in _pages_for(role, campaign):
        response = page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, f"{role}: {url} answered {response.status}"
        assert response.headers.get("content-security-policy"), url
        seen[url] = _violations(page)
        page.csp_console.clear()
    assert {url: v for url, v in seen.items() if v} == {}
    assert len(seen) >= 3


def test_html_email_previews_keep_their_inline_styles(live_server, listening_page, make_user):
    """An HTML e-mail's preview (a sandboxed srcdoc iframe inherits the page's policy) shows the styles the
    recipient will see, and the page reports no violation (the sandbox keeps its scripts from running)."""
    from audiences.models import Recipient
    from campaigns.services import template_create

    page = listening_page
    operator = make_user("operator", username="op-html")
    Recipient.objects.create(external_id="H0001", name="山田太郎", email="h1@example.jp",
                             email_normalized="h1@example.jp", phone_type="mobile")
    template = template_create(
        user=operator, name="HTML請求", channel="email", subject="ご請求", text="{{ name }}様",
        html='<style>.k { font-weight: 700 }</style><p class="k" style="color: rgb(255, 0, 0)">{{ name }}様</p>'
             '<script>document.title = "ran"</script>',
    )
    sign_in(page, live_server.url, "op-html", PASSWORD)
    page.goto(live_server.url + reverse("campaigns:template_detail", args=[template.pk]))
    page.wait_for_selector("iframe.mail-html")
    frame = page.frame_locator("iframe.mail-html")
    assert frame.locator("p").evaluate("e => getComputedStyle(e).color") == "rgb(255, 0, 0)"
    assert frame.locator("p").evaluate("e => getComputedStyle(e).fontWeight") == "700"
    assert _violations(page) == []


def test_api_docs_load_their_own_assets_under_the_policy(live_server, listening_page):
    page = listening_page
    response = page.goto(live_server.url + "/api/v1/docs")
    assert response.status == 200
    page.wait_for_selector(".swagger-ui .info")
    assert _violations(page) == []


def test_scripts_still_work_under_the_policy(live_server, listening_page, make_user):
    """The moved-out scripts run: the language switch submits on change, confirmations ask first."""
    page = listening_page
    make_user("approver", username="appr-csp")
    sign_in(page, live_server.url, "appr-csp", PASSWORD)
    page.goto(live_server.url + reverse("mfa_setup"))
    page.click("#mfa-start button")
    page.wait_for_selector(".mfa-qr svg")
    assert _violations(page) == []
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _violations(page) == []
    assert get_user_model().objects.filter(username="appr-csp").exists()
    # The watch itself works: an injected inline script and an inline style are refused and reported.
    page.evaluate("""() => {
      var s = document.createElement("script"); s.textContent = "window.__ran = 1"; document.body.appendChild(s);
      var d = document.createElement("div"); d.setAttribute("style", "color: red"); document.body.appendChild(d);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
    found = " ".join(_violations(page))
    assert "script-src" in found and "style-src" in found
