"""An operator opens the dev outbox and sees an email and an SMS as their recipients would.

Here rather than in tests/channels/: the session-wide Chromium fixture must be the one instance
(a second sync Playwright in the same thread fails), and it lives in tests/e2e/conftest.py."""

from __future__ import annotations

import pytest

from channels.adapters import get_adapter
from channels.adapters.base import OutgoingMessage
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_outbox_shows_mail_rendered_and_sms_as_a_bubble(live_server, page, make_user, screenshot, settings,
                                                            tmp_path):
    settings.VAR_DIR = tmp_path
    settings.EMAIL_SETTINGS = {"backend": "outbox"}
    settings.SMS_BACKEND = "outbox"
    with get_adapter("email") as adapter:
        adapter.send_many([OutgoingMessage(
            message_id="dlv-101", channel="email", to="山田 花子 <hanako@example.jp>",
            from_="市役所 <info@city.example.jp>",
            subject="【重要】保険料のお知らせ", text="山田 花子 様\n保険料が確定しました。",
            html="<h2>山田 花子 様</h2><p>保険料が<strong>確定</strong>しました。</p>",
            list_unsubscribe_url="https://notify.example.jp/u/x")])
    with get_adapter("sms") as adapter:
        adapter.send_many([OutgoingMessage(message_id="dlv-102", channel="sms", to="+819012345678",
                                           text="【市役所】保険料のお知らせ。" * 6)])
    make_user("operator", username="op")
    sign_in(page, live_server.url, "op", PASSWORD)
    page.click("nav.mainnav a[data-nav='channels:outbox']")
    assert page.locator("table.outbox tbody tr").count() == 2
    screenshot("list")

    page.click("tr[data-message-id='dlv-101'] a")
    assert page.locator("[data-testid=mail-subject]").inner_text() == "【重要】保険料のお知らせ"
    frame = page.frame_locator("iframe.mail-html")
    assert frame.locator("strong").inner_text() == "確定"
    screenshot("email")

    page.go_back()
    page.click("tr[data-message-id='dlv-102'] a")
    assert page.locator("[data-testid=sms-bubble]").inner_text().startswith("【市役所】保険料のお知らせ。")
    assert "2" in page.locator(".phone-meta").inner_text()  # 90 characters of UCS-2: two segments
    screenshot("sms")
