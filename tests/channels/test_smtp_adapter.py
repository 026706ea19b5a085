"""The SMTP adapter against a real aiosmtpd server on this machine."""

from __future__ import annotations

import email
import re
import ssl
from email import policy
from pathlib import Path

import dkim
import pytest

from channels.adapters import get_adapter
from channels.adapters.base import OutgoingMessage
from channels.adapters.smtp import SmtpAdapter
from channels.mail.builder import MailOptions
from channels.mail.dkim import DkimSigner, signer_from_settings


def _message(i: int = 1, **overrides) -> OutgoingMessage:
    fields = {
        "message_id": f"dlv-{i}",
        "channel": "email",
        "to": f"user{i}@example.jp",
        "from_": "お知らせ係 <notice@example.jp>",
        "subject": "【重要】ご請求金額確定のお知らせ（2026年11月分）— お支払い期日をご確認ください",
        "text": f"山田様\nご請求金額が確定しました。No.{i}\n",
        "html": f"<p>山田様</p><p>ご請求金額が確定しました。No.{i}</p>",
        "list_unsubscribe_url": f"https://notify.example.jp/u/tok{i}",
        "list_unsubscribe_mailto": f"mailto:unsubscribe+tok{i}@example.jp",
    }
    fields.update(overrides)
    return OutgoingMessage(**fields)


def _adapter(sink, signer=None, **kwargs) -> SmtpAdapter:
    return SmtpAdapter(
        host=sink.host,
        port=sink.port,
        timeout=5,
        options=MailOptions(default_from="noreply@example.jp", bounce_address="bounces@mail.example.jp", signer=signer),
        **kwargs,
    )


def test_it_sends_a_batch_over_one_session(smtp_sink):
    with _adapter(smtp_sink) as adapter:
        results = adapter.send_many([_message(i) for i in range(1, 6)])
    assert [r.ok for r in results] == [True] * 5
    assert [r.provider_id for r in results] == [f"Q{i:05d}" for i in range(1, 6)]
    assert len(smtp_sink.messages) == 5
    assert {m.session_id for m in smtp_sink.messages} == {1}
    assert smtp_sink.handler.sessions == 1


def test_the_message_is_what_a_japanese_mail_client_expects(smtp_sink):
    with _adapter(smtp_sink) as adapter:
        adapter.send_many([_message(7)])
    received = smtp_sink.messages[0]
    parsed = email.message_from_bytes(received.data, policy=policy.default)
    assert parsed["Subject"] == "【重要】ご請求金額確定のお知らせ（2026年11月分）— お支払い期日をご確認ください"
    assert parsed["From"].addresses[0].display_name == "お知らせ係"
    assert parsed["Message-ID"] == "<dlv-7@example.jp>"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content() == "山田様\r\nご請求金額が確定しました。No.7\r\n"
    assert "ご請求金額" in parsed.get_body(("html",)).get_content()
    assert all(len(line) <= 78 for line in received.data.split(b"\r\n") if not line.startswith(b"\t"))
    assert received.data.isascii()  # 7-bit clean: UTF-8 travels base64 and RFC 2047


def test_the_envelope_sender_is_a_verp_address_carrying_the_delivery_id(smtp_sink):
    with _adapter(smtp_sink) as adapter:
        adapter.send_many([_message(3)])
    assert smtp_sink.messages[0].mail_from == "bounces+dlv-3@mail.example.jp"
    assert smtp_sink.messages[0].rcpt_tos == ["user3@example.jp"]


def test_dkim_signature_verifies_and_covers_the_rfc8058_headers(smtp_sink, dkim_key):
    signer = DkimSigner.from_pem("example.jp", "nc2026", Path(dkim_key.pem_path).read_bytes())
    with _adapter(smtp_sink, signer=signer) as adapter:
        adapter.send_many([_message(1), _message(2)])
    for received in smtp_sink.messages:
        assert dkim.verify(received.data, dnsfunc=dkim_key.dnsfunc)
        parsed = email.message_from_bytes(received.data, policy=policy.compat32)
        n = int(parsed["Message-ID"][5])
        assert re.sub(r"\s+", " ", parsed["List-Unsubscribe"]) == (
            f"<https://notify.example.jp/u/tok{n}>, <mailto:unsubscribe+tok{n}@example.jp>"
        )
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        signature = re.sub(r"\s+", "", parsed["DKIM-Signature"])
        signed = re.search(r"h=([^;]+)", signature).group(1).split(":")
        assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject", "message-id"} <= set(signed)
        assert "d=example.jp" in signature and "s=nc2026" in signature


def test_a_tampered_message_fails_dkim(smtp_sink, dkim_key):
    signer = DkimSigner.from_pem("example.jp", "nc2026", Path(dkim_key.pem_path).read_bytes())
    with _adapter(smtp_sink, signer=signer) as adapter:
        adapter.send_many([_message(1)])
    data = smtp_sink.messages[0].data
    assert not dkim.verify(data.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"X-Removed: 1"),
                           dnsfunc=dkim_key.dnsfunc)
    assert not dkim.verify(data.replace(b"https://notify.example.jp/u/tok1", b"https://evil.example/u/tok1"),
                           dnsfunc=dkim_key.dnsfunc)


def test_the_adapter_from_settings_signs_with_the_configured_key(smtp_sink, dkim_key, settings):
    settings.EMAIL_SETTINGS = {"backend": "smtp", "host": smtp_sink.host, "port": smtp_sink.port, "username": "",
                               "password": "", "ssl": False, "starttls": False, "timeout": 5}
    settings.DKIM_DOMAIN, settings.DKIM_SELECTOR = "example.jp", "sel"
    settings.DKIM_PRIVATE_KEY_FILE = dkim_key.pem_path
    settings.EMAIL_BOUNCE_ADDRESS = "bounce@example.jp"
    with get_adapter("email") as adapter:
        assert isinstance(adapter, SmtpAdapter)
        [result] = adapter.send_many([_message(9)])
    assert result.ok
    assert dkim.verify(smtp_sink.messages[0].data, dnsfunc=dkim_key.dnsfunc)
    assert smtp_sink.messages[0].mail_from == "bounce+dlv-9@example.jp"


def test_no_list_unsubscribe_post_without_an_https_url(smtp_sink):
    with _adapter(smtp_sink) as adapter:
        adapter.send_many([_message(1, list_unsubscribe_url="", html="")])
    parsed = email.message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    assert parsed["List-Unsubscribe"] == "<mailto:unsubscribe+tok1@example.jp>"
    assert parsed["List-Unsubscribe-Post"] is None
    assert parsed.get_content_type() == "text/plain"


def test_an_unknown_mailbox_is_a_permanent_hard_bounce(smtp_sink):
    smtp_sink.handler.rcpt_replies["user2@example.jp"] = "550 5.1.1 <user2@example.jp>: Recipient address rejected"
    with _adapter(smtp_sink) as adapter:
        results = adapter.send_many([_message(1), _message(2), _message(3)])
    assert [r.ok for r in results] == [True, False, True]
    failed = results[1]
    assert (failed.error_code, failed.permanent, failed.suppression) == ("smtp.5.1.1", True, "hard_bounce")
    assert failed.message_id == "dlv-2"
    assert len(smtp_sink.messages) == 2


def test_a_full_mailbox_4xx_is_transient(smtp_sink):
    smtp_sink.handler.rcpt_replies["user1@example.jp"] = "452 4.2.2 Mailbox full"
    with _adapter(smtp_sink) as adapter:
        [result] = adapter.send_many([_message(1)])
    assert (result.ok, result.permanent, result.transient, result.error_code) == (False, False, True, "smtp.4.2.2")
    assert result.suppression == ""


def test_a_policy_rejection_fails_permanently_without_suppressing_the_address(smtp_sink):
    smtp_sink.handler.data_reply = "554 5.7.1 Message rejected as spam"
    with _adapter(smtp_sink) as adapter:
        [result] = adapter.send_many([_message(1)])
    assert (result.permanent, result.error_code, result.suppression) == (True, "smtp.5.7.1", "")


def test_a_dropped_connection_fails_only_the_message_in_flight_and_reconnects(smtp_sink):
    smtp_sink.handler.close_after = 2
    with _adapter(smtp_sink) as adapter:
        results = adapter.send_many([_message(i) for i in range(1, 6)])
    # The server accepted #2 then hung up before we read its reply: #2 is transient (a resend carries
    # the same Message-ID), the rest go out over a new session.
    assert [r.ok for r in results] == [True, False, True, True, True]
    assert results[1].transient and results[1].error_code.startswith("network.")
    assert smtp_sink.handler.sessions == 2


def test_a_server_that_is_down_makes_every_message_transient(smtp_sink):
    from .conftest import free_port

    adapter = SmtpAdapter(host="127.0.0.1", port=free_port(), timeout=2, options=MailOptions(default_from="a@b.jp"))
    with adapter:
        results = adapter.send_many([_message(1), _message(2)])
    assert [(r.ok, r.permanent, r.error_code) for r in results] == [(False, False, "network.error")] * 2


def test_an_invalid_address_is_permanent_without_a_network_round_trip(smtp_sink):
    with _adapter(smtp_sink) as adapter:
        bad = [_message(1, to="not an address"), _message(2, subject="x\r\nBcc: evil@example.com")]
        results = adapter.send_many(bad)
    assert [(r.ok, r.permanent, r.error_code) for r in results] == [(False, True, "email.invalid")] * 2
    assert smtp_sink.messages == []


def test_starttls_and_auth(smtp_tls_sink):
    context = ssl.create_default_context(cafile=smtp_tls_sink.cafile)
    adapter = _adapter(smtp_tls_sink, starttls=True, username="mailer", password="s3cret", tls_context=context)
    with adapter:
        results = adapter.send_many([_message(1), _message(2)])
    assert [r.ok for r in results] == [True, True]
    assert len(smtp_tls_sink.messages) == 2


def test_a_refused_login_is_transient_not_the_recipients_fault(smtp_tls_sink):
    context = ssl.create_default_context(cafile=smtp_tls_sink.cafile)
    adapter = _adapter(smtp_tls_sink, starttls=True, username="mailer", password="wrong", tls_context=context)
    with adapter:
        [result] = adapter.send_many([_message(1)])
    assert (result.ok, result.permanent, result.suppression) == (False, False, "")
    assert result.error_code == "smtp.5.7.8", result


def test_send_many_without_open_opens_and_closes_its_own_session(smtp_sink):
    adapter = _adapter(smtp_sink)
    assert [r.ok for r in adapter.send_many([_message(1)])] == [True]
    assert adapter._conn is None


@pytest.mark.parametrize("bits_ok", [True, False])
def test_signer_from_settings_refuses_short_keys(settings, dkim_key, short_dkim_key_file, bits_ok):
    from django.core.exceptions import ImproperlyConfigured

    settings.DKIM_DOMAIN, settings.DKIM_SELECTOR = "example.jp", "sel"
    settings.DKIM_PRIVATE_KEY_FILE = dkim_key.pem_path if bits_ok else short_dkim_key_file
    if bits_ok:
        assert signer_from_settings().key.key_size == 2048
    else:
        with pytest.raises(ImproperlyConfigured, match="1024 bits"):
            signer_from_settings()
