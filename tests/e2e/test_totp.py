"""Browser journey: an approver with TOTP enabled cannot reach the approval page with the password alone.

The password leaves the session half-authenticated; opening the approval page by URL lands on the
second-factor page; a wrong code is refused; the right one (computed here with pyotp from the secret)
opens the approval page."""

from __future__ import annotations

import pyotp
import pytest
import time_machine
from django.utils import timezone

from accounts import mfa
from audiences.models import AudienceList, Membership, Recipient, Segment
from audit.models import AuditEvent
from campaigns.models import Sender
from campaigns.permissions import grant_approve_permission
from campaigns.services import campaign_create, campaign_submit, template_create
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_submitted_campaign(operator):
    """A small email campaign waiting for approval (also used by test_csp.py)."""
    sender = Sender.objects.create(channel="email", name="サンプル銀行", from_email="info@bank.example.jp",
                                   postal_address="東京都千代田区丸の内1-1-1", contact="0120-000-000")
    audience = AudienceList.objects.create(name="11月請求対象")
    recipients = Recipient.objects.bulk_create([
        Recipient(external_id=f"C{i:04d}", name=name, email=f"c{i}@example.jp", email_normalized=f"c{i}@example.jp",
                  phone_type="mobile", attributes={"amount": str(1000 * (i + 1)), "due": "2026-11-25"})
        for i, name in enumerate(["山田太郎", "佐藤花子", "鈴木一郎"])
    ])
    Membership.objects.bulk_create([Membership(audience_list=audience, recipient=r) for r in recipients])
    segment = Segment.objects.create(name="請求対象", rules={"match": "all", "rules": [
        {"field": "list", "op": "in", "value": [audience.pk]}]})
    template = template_create(user=operator, name="11月ご請求のお知らせ", channel="email",
                               subject="【サンプル銀行】ご請求のお知らせ",
                               text="{{ name|sama }}\nご請求額: {{ amount|yen }}\n")
    campaign = campaign_create(user=operator, name="11月請求メール", purpose="notice", template=template,
                               segment=segment, sender=sender)
    campaign = campaign_submit(campaign=campaign, user=operator)
    return campaign


@pytest.fixture
def submitted(make_user):
    operator = make_user("operator", username="op-hanako")
    approver = make_user("approver", username="appr-totp")
    grant_approve_permission()  # a transactional test's flush removed what the data migration granted
    secret = pyotp.random_base32()
    with time_machine.travel(timezone.now() - timezone.timedelta(seconds=90), tick=False):
        mfa.mfa_enrol(user=approver, secret=secret, code=pyotp.TOTP(secret).now())
    campaign = make_submitted_campaign(operator)
    return {"campaign": campaign, "secret": secret}


def test_approver_with_totp_needs_the_second_factor_for_the_approval_page(live_server, page, submitted, screenshot):
    base = live_server.url
    review = f"{base}/campaigns/{submitted['campaign'].pk}/review/"

    page.goto(base + "/")
    page.fill("#id_username", "appr-totp")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector("#mfa-verify")
    assert page.locator(".who").count() == 0  # not signed in yet

    # The approval page by URL: still the second-factor page.
    page.goto(review)
    page.wait_for_selector("#mfa-verify")
    assert "/accounts/two-step/" in page.url
    assert page.locator("#approve").count() == 0
    screenshot("second-factor-asked")

    page.fill("#id_code", "000000" if pyotp.TOTP(submitted["secret"]).now() != "000000" else "111111")
    page.click("#mfa-form button[type=submit]")
    page.wait_for_selector("#mfa-error[data-code='mfa.invalid_code']")
    assert page.locator("#approve").count() == 0
    screenshot("wrong-code-refused")

    page.fill("#id_code", pyotp.TOTP(submitted["secret"]).now())
    page.click("#mfa-form button[type=submit]")
    page.wait_for_selector("#approve")
    assert page.url == review
    assert page.locator(".who").inner_text() == "appr-totp"
    screenshot("approval-page-after-second-factor")

    actions = list(AuditEvent.objects.filter(actor="appr-totp").order_by("id").values_list("action", flat=True))
    assert actions.index("auth.mfa_challenged") < actions.index("auth.mfa_failed") < actions.index("auth.mfa_passed")
    assert actions.index("auth.mfa_passed") < actions.index("auth.login")
