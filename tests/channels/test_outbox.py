"""The dev outbox: files under VAR_DIR/outbox, and the page that shows them as the recipient would."""

from __future__ import annotations

import pytest

from channels.adapters import get_adapter
from channels.adapters.base import OutgoingMessage
from channels.adapters.outbox import OutboxAdapter
from channels.outbox import outbox_list, outbox_read

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.EMAIL_SETTINGS = {"backend": "outbox"}
    settings.SMS_BACKEND = "outbox"


def _email(i=1, **kw):
    fields = {"message_id": f"dlv-{i}", "channel": "email", "to": "山田 花子 <hanako@example.jp>",
              "subject": "【重要】メンテナンスのお知らせ", "text": "明日 2:00〜4:00 は停止します。",
              "html": "<p>明日 <b>2:00〜4:00</b> は停止します。</p><script>alert(1)</script>",
              "list_unsubscribe_url": "https://notify.example.jp/u/abc"}
    return OutgoingMessage(**{**fields, **kw})


def _sms(i=2, text="【東京電力】ご請求額は3,210円です。詳細はこちら"):
    return OutgoingMessage(message_id=f"dlv-{i}", channel="sms", to="+819012345678", text=text)


def test_the_embedded_default_backends_are_the_outbox():
    assert isinstance(get_adapter("email"), OutboxAdapter)
    assert isinstance(get_adapter("sms"), OutboxAdapter)


def test_messages_are_kept_as_files_and_read_back_decoded(tmp_path):
    with get_adapter("email") as adapter:
        [result] = adapter.send_many([_email()])
    with get_adapter("sms") as adapter:
        adapter.send_many([_sms()])
    assert result.ok and result.provider_id.startswith("outbox-")
    items = outbox_list()
    assert [i.channel for i in items] == ["sms", "email"]  # newest first
    mail = outbox_read(items[1].name)
    assert mail.subject == "【重要】メンテナンスのお知らせ"
    assert "山田 花子" in mail.to
    assert "2:00〜4:00" in mail.text and "<b>2:00〜4:00</b>" in mail.html
    assert ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click") in mail.headers
    sms = outbox_read(items[0].name)
    assert sms.sms.segments == 1 and sms.sms.encoding == "UCS-2"


def test_the_outbox_page_lists_messages(client_for, make_user):
    with get_adapter("email") as adapter:
        adapter.send_many([_email()])
    response = client_for(make_user("operator")).get("/channels/outbox/")
    assert response.status_code == 200
    assert "【重要】メンテナンスのお知らせ" in response.content.decode()


def test_an_email_is_shown_as_the_recipient_sees_it_with_its_html_sandboxed(client_for, make_user):
    with get_adapter("email") as adapter:
        adapter.send_many([_email()])
    [item] = outbox_list()
    page = client_for(make_user("approver")).get(f"/channels/outbox/{item.name}/").content.decode()
    assert '<h1 class="mail-subject" data-testid="mail-subject">【重要】メンテナンスのお知らせ</h1>' in page
    assert 'sandbox=""' in page
    assert "<script>alert(1)</script>" not in page  # escaped into srcdoc, never live in our page


def test_an_sms_is_shown_as_a_bubble_with_its_segment_count(client_for, make_user):
    with get_adapter("sms") as adapter:
        adapter.send_many([_sms(text="あ" * 71)])
    [item] = outbox_list()
    page = client_for(make_user("admin")).get(f"/channels/outbox/{item.name}/").content.decode()
    assert 'data-testid="sms-bubble"' in page
    assert "SMS segments: 2" in page or "SMS分割数: 2" in page


@pytest.mark.parametrize("name", ["../secret_key", "x", "1-email-../../etc.eml"])
def test_unknown_or_crafted_names_are_404(client_for, make_user, name):
    assert client_for(make_user("operator")).get(f"/channels/outbox/{name}/").status_code == 404


def test_auditors_do_not_see_the_outbox(client_for, make_user):
    assert client_for(make_user("auditor")).get("/channels/outbox/").status_code == 403
