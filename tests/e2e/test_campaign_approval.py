"""Browser journey: an operator writes a template and a campaign and submits it; approvers review the
approval page (previews, preflight) and approve; with dual control a second approver is required."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from audiences.models import AudienceList, Membership, Recipient, Segment
from campaigns.models import Campaign, Sender, Template
from campaigns.permissions import grant_approve_permission
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(make_user):
    users = {
        "op": make_user("operator", username="op-hanako"),
        "ap1": make_user("approver", username="appr-taro"),
        "ap2": make_user("approver", username="appr-jiro"),
    }
    grant_approve_permission()  # a transactional test's flush removed what the data migration granted
    sender = Sender.objects.create(channel="email", name="サンプル銀行", from_email="info@bank.example.jp",
                                   postal_address="東京都千代田区丸の内1-1-1", contact="0120-000-000")
    audience = AudienceList.objects.create(name="11月請求対象")
    recipients = Recipient.objects.bulk_create([
        Recipient(external_id=f"C{i:04d}", name=name, email=f"c{i}@example.jp", email_normalized=f"c{i}@example.jp",
                  phone_type="mobile", attributes={"amount": str(1000 * (i + 1)), "due": "2026-11-25"})
        for i, name in enumerate(["山田太郎", "佐藤花子", "寿限無寿限無五劫の擦り切れ", "鈴木一郎", "高橋次郎"])
    ])
    Membership.objects.bulk_create([Membership(audience_list=audience, recipient=r) for r in recipients])
    segment = Segment.objects.create(name="請求対象", rules={"match": "all", "rules": [
        {"field": "list", "op": "in", "value": [audience.pk]}]})
    return {"users": users, "sender": sender, "segment": segment}


def _sign_out(page):
    page.click("form[action$='/accounts/logout/'] button")
    page.wait_for_selector("#id_username")


def _operator_creates_and_submits(page, base, world, screenshot) -> Campaign:
    sign_in(page, base, "op-hanako", PASSWORD)
    page.click("nav.mainnav a[data-nav='campaigns:templates']")
    page.click("#new-template")
    page.fill("#id_name", "11月ご請求のお知らせ")
    page.select_option("#id_channel", "email")
    page.fill("#id_subject", "【サンプル銀行】ご請求のお知らせ")
    page.fill("#id_text", "{{ name|sama }}\n\nご請求額: {{ amount|yen }}\nお支払い期限: {{ due|jdate }}\n")
    page.click("#template-form button[type=submit]")
    page.wait_for_selector("#preview .mail-text")
    assert "山田太郎様" in page.inner_text("#preview .mail-text")
    screenshot("template-editor")
    template = Template.objects.get(name="11月ご請求のお知らせ")

    page.click("nav.mainnav a[data-nav='campaigns:list']")
    page.click("#new-campaign")
    page.fill("#id_name", "11月請求メール")
    page.select_option("#id_purpose", "notice")
    page.select_option("#id_template", str(template.pk))
    page.select_option("#id_segment", str(world["segment"].pk))
    page.select_option("#id_sender", str(world["sender"].pk))
    page.fill("#id_test_addresses", "qa@bank.example.jp")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#state[data-state='draft']")
    page.click("#submit")
    page.wait_for_selector("#state[data-state='pending_approval']")
    screenshot("submitted")
    _sign_out(page)
    return Campaign.objects.get(name="11月請求メール")


def _approver_approves(page, base, username, campaign, screenshot, label) -> None:
    sign_in(page, base, username, PASSWORD)
    page.click("nav.mainnav a[data-nav='campaigns:queue']")
    page.click(f"#queue tr[data-campaign='{campaign.pk}'] a")
    page.wait_for_selector("#previews article.preview")
    previews = page.locator("#previews article.preview")
    assert previews.count() >= 3  # longest name, longest fields / random ones: real recipients
    assert "寿限無寿限無五劫の擦り切れ様" in page.inner_text("#previews")
    # Rendered with real recipients' own amounts (which ones besides the longest name is left to chance).
    amounts = set(re.findall(r"ご請求額: ([\d,]+)円", page.inner_text("#previews")))
    assert "3,000" in amounts and amounts <= {f"{1000 * n:,}" for n in range(1, 6)}
    assert page.locator("#findings tr[data-code='audience.sendable']").count() == 1
    assert page.inner_text("#sendable") == "5"
    assert "{{ amount|yen }}" in page.inner_text("#template")
    screenshot(f"approval-page-{label}")
    page.check("#id_confirm")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#approve")
    page.wait_for_selector("#queue")
    _sign_out(page)


def test_operator_submits_and_an_approver_approves_in_the_browser(live_server, page, world, screenshot):
    base = live_server.url
    campaign = _operator_creates_and_submits(page, base, world, screenshot)
    _approver_approves(page, base, "appr-taro", campaign, screenshot, "single")

    sign_in(page, base, "op-hanako", PASSWORD)
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.wait_for_selector("#state[data-state='approved']")
    assert "appr-taro" in page.inner_text("#approvals")
    screenshot("operator-sees-approved")


@override_settings(APPROVALS_REQUIRED=2)
def test_dual_control_needs_a_second_approver(live_server, page, world, screenshot):
    base = live_server.url
    campaign = _operator_creates_and_submits(page, base, world, screenshot)
    _approver_approves(page, base, "appr-taro", campaign, screenshot, "first")
    campaign.refresh_from_db()
    assert campaign.state == "pending_approval"

    # The first approver no longer sees it in the queue, and cannot approve twice.
    sign_in(page, base, "appr-taro", PASSWORD)
    page.click("nav.mainnav a[data-nav='campaigns:queue']")
    assert page.locator(f"#queue tr[data-campaign='{campaign.pk}']").count() == 0
    page.goto(f"{base}/campaigns/{campaign.pk}/review/")
    assert page.locator("#blocker").count() == 1 and page.locator("#approve").count() == 0
    _sign_out(page)

    _approver_approves(page, base, "appr-jiro", campaign, screenshot, "second")
    campaign.refresh_from_db()
    assert campaign.state == "approved"
    sign_in(page, base, "op-hanako", PASSWORD)
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.wait_for_selector("#state[data-state='approved']")
    screenshot("operator-sees-dual-approved")
