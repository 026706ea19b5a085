"""The webhook views: verify, parse, hand to the registered handler — and refuse forgeries."""

from __future__ import annotations

import json

import pytest

from channels.inbound import DeliveryReceipt, OptOut, handlers, register_handler, unregister_handler
from channels.inbound.twilio import compute_signature
from channels.inbound.webhook import sign
from channels.testing.twilio_standin import post_signed

# The views record each applied callback's key (replay defence, channels.inbound.replay): they need the database.
pytestmark = pytest.mark.django_db

BASE = "https://notify.example.jp"
STATUS_PATH = "/channels/hooks/twilio/status"
INBOUND_PATH = "/channels/hooks/twilio/inbound"
EVENTS_PATH = "/channels/hooks/email/events"


@pytest.fixture(autouse=True)
def _no_other_handlers(monkeypatch):
    """Only this file's handler runs (campaigns registers the real one at start-up)."""
    monkeypatch.setattr(handlers, "_handlers", [])


@pytest.fixture
def received():
    events = []
    register_handler(events.append)
    yield events
    unregister_handler(events.append)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.TWILIO_AUTH_TOKEN = "chan-token"
    settings.WEBHOOK_SECRET = "whsec-chan"


def _twilio_post(client, path, params, *, token="chan-token", signature=None):  # noqa: S107
    signature = signature if signature is not None else compute_signature(BASE + path, params, token)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


def test_a_signed_status_callback_reaches_the_handler(client, received):
    params = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30007"}
    response = _twilio_post(client, STATUS_PATH + "?mid=dlv-77", params)
    assert response.status_code == 204
    [receipt] = received
    assert isinstance(receipt, DeliveryReceipt)
    assert (receipt.message_id, receipt.provider_id, receipt.status, receipt.error_code, receipt.category) == (
        "dlv-77", "SM1", "undelivered", "twilio.30007", "carrier_filtered")


@pytest.mark.parametrize("forgery", ["wrong token", "tampered body", "no header", "other url"])
def test_a_forged_status_callback_is_refused_with_403(client, received, forgery):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    path = STATUS_PATH + "?mid=dlv-1"
    if forgery == "wrong token":
        response = _twilio_post(client, path, params, token="guess")
    elif forgery == "tampered body":
        signature = compute_signature(BASE + path, params, "chan-token")
        response = _twilio_post(client, path, {**params, "MessageStatus": "failed"}, signature=signature)
    elif forgery == "no header":
        response = client.post(path, params)
    else:  # a signature for another delivery id replayed here
        signature = compute_signature(BASE + STATUS_PATH + "?mid=dlv-2", params, "chan-token")
        response = _twilio_post(client, path, params, signature=signature)
    assert response.status_code == 403
    assert received == []


def test_an_inbound_stop_in_japanese_reaches_the_handler_as_an_opt_out(client, received):
    params = {"MessageSid": "SM5", "From": "+819012345678", "To": "+815012345678", "Body": "配信停止"}
    response = _twilio_post(client, INBOUND_PATH, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert received == [OptOut(channel="sms", address="+819012345678", keyword="配信停止", provider_id="SM5")]


def test_a_forged_inbound_message_is_refused(client, received):
    params = {"From": "+819012345678", "Body": "停止"}
    assert _twilio_post(client, INBOUND_PATH, params, token="guess").status_code == 403
    assert received == []


def test_without_a_registered_handler_the_provider_is_told_to_retry(client):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert _twilio_post(client, STATUS_PATH + "?mid=dlv-1", params).status_code == 503


def test_webhooks_are_post_only(client, received):
    assert client.get(STATUS_PATH).status_code == 405


def test_an_oversized_body_is_refused_before_parsing(client, received, settings):
    settings.WEBHOOK_MAX_BYTES = 1024
    response = client.post(EVENTS_PATH, b"x" * 2048, content_type="application/json")
    assert response.status_code == 413
    assert received == []


def test_a_signed_email_event_batch_reaches_the_handler(client, received):
    body = json.dumps({"events": [{"type": "bounce", "message_id": "dlv-1", "address": "a@example.jp",
                                   "status": "5.1.1"}, {"type": "complaint", "message_id": "dlv-2"}]}).encode()
    response = client.post(EVENTS_PATH, body, content_type="application/json", headers=sign(body, "whsec-chan"))
    assert response.status_code == 204
    assert [type(e).__name__ for e in received] == ["Bounce", "Complaint"]
    assert received[0].suppression == "hard_bounce"


@pytest.mark.parametrize("problem", ["wrong secret", "stale", "unsigned"])
def test_a_forged_or_replayed_email_event_is_refused(client, received, problem):
    body = b'{"type": "complaint", "message_id": "dlv-1"}'
    if problem == "wrong secret":
        headers = sign(body, "guess")
    elif problem == "stale":
        headers = sign(body, "whsec-chan", timestamp=1_000_000_000)
    else:
        headers = {}
    assert client.post(EVENTS_PATH, body, content_type="application/json", headers=headers).status_code == 403
    assert received == []


def test_a_signed_but_malformed_email_event_is_a_400(client, received):
    body = b'{"type": "bounce", "status": "nope"}'
    response = client.post(EVENTS_PATH, body, content_type="application/json", headers=sign(body, "whsec-chan"))
    assert (response.status_code, response.content) == (400, b"webhook.bad_status")


def test_webhooks_need_no_session_or_csrf_token(client, received):
    client.handler.enforce_csrf_checks = True
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert _twilio_post(client, STATUS_PATH + "?mid=dlv-1", params).status_code == 204


@pytest.mark.django_db(transaction=True)
def test_the_standin_callback_round_trip_over_real_http(live_server, twilio, settings, received):
    """Send through the adapter to the stand-in, then let it call our webhook as Twilio would."""
    from channels.adapters import get_adapter
    from channels.adapters.base import OutgoingMessage

    settings.PUBLIC_BASE_URL = live_server.url
    with get_adapter("sms") as adapter:
        [result] = adapter.send_many([OutgoingMessage(message_id="dlv-9", channel="sms", to="+819011112222", text="x")])
    assert result.ok
    assert twilio.status_callback(twilio.messages[0], "delivered") == 204
    assert twilio.status_callback(twilio.messages[0], "delivered", sign_with="forged") == 403
    assert post_signed(live_server.url + INBOUND_PATH, {"From": "+819011112222", "Body": "停止"}, "chan-token") == 200
    assert [(type(e).__name__, getattr(e, "message_id", None)) for e in received] == [
        ("DeliveryReceipt", "dlv-9"), ("OptOut", None)]
    assert received[0].provider_id == result.provider_id
