"""The Twilio adapter against the local Messages API stand-in (real HTTP on a free port)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from channels.adapters import get_adapter
from channels.adapters.base import OutgoingMessage
from channels.adapters.twilio import TwilioAdapter


def _sms(i: int = 1, to: str | None = None, text: str = "【お知らせ】ご請求額が確定しました。") -> OutgoingMessage:
    return OutgoingMessage(message_id=f"dlv-{i}", channel="sms", to=to or f"+8190{i:08d}", text=text)


def test_it_posts_each_message_over_one_keep_alive_connection(twilio, settings):
    settings.PUBLIC_BASE_URL = "https://notify.example.jp"
    with get_adapter("sms") as adapter:
        assert isinstance(adapter, TwilioAdapter)
        results = adapter.send_many([_sms(i) for i in range(1, 6)])
    assert [r.ok for r in results] == [True] * 5
    assert [r.provider_id for r in results] == [m["sid"] for m in twilio.messages]
    assert twilio.connections == 1
    first = twilio.messages[0]
    assert (first["To"], first["From"]) == ("+819000000001", "+815012345678")
    assert first["Body"] == "【お知らせ】ご請求額が確定しました。"
    callback = urlsplit(first["StatusCallback"])
    assert callback.scheme == "https" and callback.netloc == "notify.example.jp"
    assert callback.path == "/channels/hooks/twilio/status"
    assert parse_qs(callback.query) == {"mid": ["dlv-1"]}
    assert [m["mid"] for m in twilio.messages] == [f"dlv-{i}" for i in range(1, 6)]


@pytest.mark.parametrize(
    ("code", "status", "permanent", "suppression"),
    [
        (21211, 400, True, ""),  # invalid number
        (21614, 400, True, ""),  # not a mobile
        (21610, 400, True, "opt_out"),  # the recipient replied STOP
    ],
)
def test_recipient_errors_are_permanent_with_the_providers_code(twilio, code, status, permanent, suppression):
    twilio.script_number("+819000000002", status=status, code=code)
    with get_adapter("sms") as adapter:
        results = adapter.send_many([_sms(1), _sms(2), _sms(3)])
    assert [r.ok for r in results] == [True, False, True]
    failed = results[1]
    assert (failed.error_code, failed.permanent, failed.suppression) == (f"twilio.{code}", permanent, suppression)
    assert failed.details["http_status"] == status


def test_too_many_requests_is_transient_with_the_retry_after(twilio):
    twilio.fail_next(1, status=429, code=20429, retry_after="7")
    with get_adapter("sms") as adapter:
        first, second = adapter.send_many([_sms(1), _sms(2)])
    assert (first.ok, first.permanent, first.error_code, first.retry_after) == (False, False, "twilio.20429", 7.0)
    assert second.ok


def test_a_503_is_transient(twilio):
    twilio.fail_next(2, status=503)
    with get_adapter("sms") as adapter:
        results = adapter.send_many([_sms(1), _sms(2), _sms(3)])
    assert [(r.ok, r.transient, r.error_code) for r in results] == [
        (False, True, "http.503"), (False, True, "http.503"), (True, False, "")
    ]


def test_wrong_credentials_are_a_configuration_problem_not_the_recipients(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    with get_adapter("sms") as adapter:
        [result] = adapter.send_many([_sms(1)])
    assert (result.ok, result.permanent, result.error_code) == (False, False, "twilio.20003")
    assert result.details["category"] == "configuration"
    assert twilio.messages == []


def test_a_timeout_is_transient_and_the_next_message_gets_a_new_connection(twilio, settings):
    settings.TWILIO_TIMEOUT_S = 1
    twilio.delay_s = 1.5
    adapter = get_adapter("sms")
    with adapter:
        [slow] = adapter.send_many([_sms(1)])
        twilio.delay_s = 0
        [fast] = adapter.send_many([_sms(2)])
    assert (slow.ok, slow.transient, slow.error_code) == (False, True, "network.timeout")
    assert fast.ok
    assert twilio.connections == 2


def test_an_unreachable_api_is_transient(settings):
    from .conftest import free_port

    adapter = TwilioAdapter(account_sid="AC1", auth_token="t", from_="+815012345678",
                            api_base=f"http://127.0.0.1:{free_port()}", timeout=2)
    with adapter:
        results = adapter.send_many([_sms(1), _sms(2)])
    assert [(r.ok, r.transient, r.error_code) for r in results] == [(False, True, "network.error")] * 2


def test_send_many_without_open_manages_its_own_connection(twilio):
    adapter = get_adapter("sms")
    assert [r.ok for r in adapter.send_many([_sms(1)])] == [True]
    assert adapter._conn is None
