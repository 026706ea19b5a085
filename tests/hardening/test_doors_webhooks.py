"""Provider webhooks under attack: forged signatures, replays, oversize bodies.

These go through the real campaigns handler (registered at start-up), so "nothing written" is checked
where it matters: no suppression, no delivery change, no audit event, no replay key.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.test import RequestFactory

from audiences.models import Suppression
from audit.models import AuditEvent
from channels.inbound.twilio import compute_signature
from channels.inbound.webhook import sign
from channels.models import SeenCallback
from channels.views import hooks

from .conftest import logged, state

pytestmark = pytest.mark.django_db

BASE = "https://notify.example.jp"
STATUS = "/channels/hooks/twilio/status"
INBOUND = "/channels/hooks/twilio/inbound"
EVENTS = "/channels/hooks/email/events"
TOKEN, SECRET = "twilio-token-doors", "whsec-doors"  # noqa: S105
PHONE = "+819012345678"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.WEBHOOK_SECRET = SECRET


def twilio(client, path, params, *, token=TOKEN, signed_path=None, signature=None):
    if signature is None:
        signature = compute_signature(BASE + (signed_path or path), params, token)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


def snapshot() -> dict:
    return {**state(), "seen": SeenCallback.objects.count()}


def events_body(*events) -> bytes:
    return json.dumps({"events": list(events)}).encode()


SOFT_BOUNCE = {"type": "bounce", "message_id": "", "address": "taro@example.jp", "status": "4.2.2",
               "diagnostic": "mailbox full"}
FORGERIES = [
    # (door, forgery, expected code)
    ("twilio-status", "wrong token", "webhook.bad_signature"),
    ("twilio-status", "tampered body", "webhook.bad_signature"),
    ("twilio-status", "signed for another URL", "webhook.bad_signature"),
    ("twilio-status", "no signature", "webhook.bad_signature"),
    ("twilio-inbound", "wrong token", "webhook.bad_signature"),
    ("twilio-inbound", "tampered body", "webhook.bad_signature"),
    ("twilio-inbound", "no signature", "webhook.bad_signature"),
    ("email-events", "wrong secret", "webhook.bad_signature"),
    ("email-events", "tampered body", "webhook.bad_signature"),
    ("email-events", "stale timestamp", "webhook.stale"),
    ("email-events", "no signature", "webhook.timestamp_missing"),
]


@pytest.mark.parametrize("door,forgery,code", FORGERIES)
def test_a_forged_webhook_is_refused_and_changes_nothing(door, forgery, code, client, caplog):
    caplog.set_level(logging.WARNING)
    before = snapshot()
    if door.startswith("twilio"):
        path = STATUS + "?mid=dlv-1" if door == "twilio-status" else INBOUND
        params = ({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "21610"}
                  if door == "twilio-status" else {"MessageSid": "SM2", "From": PHONE, "Body": "STOP"})
        if forgery == "wrong token":
            response = twilio(client, path, params, token="guess")
        elif forgery == "tampered body":
            good = compute_signature(BASE + path, params, TOKEN)
            response = twilio(client, path, {**params, "From": "+819099999999", "MessageStatus": "failed"},
                              signature=good)
        elif forgery == "signed for another URL":
            response = twilio(client, path, params, signed_path=STATUS + "?mid=dlv-2")
        else:
            response = client.post(path, params)
    else:
        body = events_body({"type": "complaint", "message_id": "dlv-1", "address": "taro@example.jp"})
        headers = {"wrong secret": sign(body, "guess"), "tampered body": sign(b"{}", SECRET),
                   "stale timestamp": sign(body, SECRET, timestamp=1_000_000_000), "no signature": {}}[forgery]
        response = client.post(EVENTS, body, content_type="application/json", headers=headers)
    assert (response.status_code, response.content.decode()) == (403, code)
    assert logged(caplog, f"({code}) from 127.0.0.1")
    assert snapshot() == before


def test_a_replayed_start_cannot_lift_a_newer_stop(client, caplog):
    """Twilio signs no timestamp: a captured START would verify forever. Its MessageSid makes it one-shot."""
    start = {"MessageSid": "SMstart", "From": PHONE, "To": "+815012345678", "Body": "START"}
    stop = {"MessageSid": "SMstop", "From": PHONE, "To": "+815012345678", "Body": "停止"}
    assert twilio(client, INBOUND, start).status_code == 200
    assert twilio(client, INBOUND, stop).status_code == 200
    assert Suppression.objects.filter(address=PHONE, reason="opt_out").count() == 1
    caplog.set_level(logging.WARNING)
    before = snapshot()
    replay = twilio(client, INBOUND, start)
    assert replay.status_code == 200 and replay["Content-Type"].startswith("text/xml")  # Twilio must not retry
    assert logged(caplog, "ignored a replayed inbound Twilio message (webhook.replayed, twilio:inbound:SMstart)")
    assert snapshot() == before
    assert Suppression.objects.filter(address=PHONE, reason="opt_out").count() == 1


def test_a_replayed_status_callback_is_applied_once(client, caplog):
    params = {"MessageSid": "SMx", "MessageStatus": "delivered"}
    assert twilio(client, STATUS + "?mid=dlv-404", params).status_code == 204
    caplog.set_level(logging.WARNING)
    before = snapshot()
    response = twilio(client, STATUS + "?mid=dlv-404", params)
    assert (response.status_code, response.content) == (200, b"webhook.replayed")
    assert logged(caplog, "ignored a replayed Twilio status callback (webhook.replayed, twilio:status:SMx:delivered:)")
    assert snapshot() == before
    # A later status of the same message is a different callback, not a replay.
    assert twilio(client, STATUS + "?mid=dlv-404", {**params, "MessageStatus": "undelivered"}).status_code == 204


def test_a_signed_email_event_replayed_inside_its_window_counts_once(client, caplog, settings):
    """Three replays of one soft bounce would otherwise reach SOFT_BOUNCE_SUPPRESS_AFTER and suppress."""
    settings.SOFT_BOUNCE_SUPPRESS_AFTER = 3
    body = events_body(SOFT_BOUNCE)
    headers = sign(body, SECRET)
    assert client.post(EVENTS, body, content_type="application/json", headers=headers).status_code == 204
    caplog.set_level(logging.WARNING)
    before = snapshot()
    for _ in range(3):
        response = client.post(EVENTS, body, content_type="application/json", headers=headers)
        assert (response.status_code, response.content) == (200, b"webhook.replayed")
    assert logged(caplog, "ignored a replayed email-event webhook (webhook.replayed")
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="receipt.bounced").count() == 1
    assert not Suppression.objects.exists()


def test_a_callback_that_failed_is_applied_when_the_provider_retries(client, monkeypatch):
    """The replay key is written in the applying transaction: a failure rolls it back with everything else."""
    from channels.inbound import handlers

    stop = {"MessageSid": "SMretry", "From": PHONE, "Body": "STOP"}
    monkeypatch.setattr(handlers, "_handlers", [])
    assert twilio(client, INBOUND, stop).status_code == 503
    assert not SeenCallback.objects.exists()
    monkeypatch.undo()
    assert twilio(client, INBOUND, stop).status_code == 200
    assert Suppression.objects.filter(address=PHONE, reason="opt_out").count() == 1


@pytest.mark.parametrize("path", [STATUS, INBOUND, EVENTS])
def test_an_oversize_webhook_body_is_refused_before_it_is_read(path, client, settings, caplog):
    settings.WEBHOOK_MAX_BYTES = 4096
    caplog.set_level(logging.WARNING)
    before = snapshot()
    if path == EVENTS:
        body = events_body(*[SOFT_BOUNCE] * 100)
        response = client.post(path, body, content_type="application/json", headers=sign(body, SECRET))
    else:
        params = {"MessageSid": "SMbig", "From": PHONE, "Body": "x" * 5000, "MessageStatus": "delivered"}
        response = twilio(client, path, params)
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"
    assert logged(caplog, f"request refused (request.too_large): POST {path}")
    assert snapshot() == before


@pytest.mark.parametrize("view", [hooks.twilio_status, hooks.twilio_inbound, hooks.email_events])
def test_the_webhook_views_refuse_oversize_bodies_on_their_own_too(view, settings, caplog):
    """Defence in depth: mounted without the middleware, the views still refuse by declared length."""
    settings.WEBHOOK_MAX_BYTES = 1024
    caplog.set_level(logging.WARNING)
    before = snapshot()
    response = view(RequestFactory().post("/hook", data=b"x" * 2048, content_type="application/json"))
    assert (response.status_code, response.content) == (413, b"webhook.too_large")
    assert logged(caplog, "refused a webhook (webhook.too_large): 2048 bytes")
    assert snapshot() == before


def test_old_replay_keys_are_pruned_but_inbound_ones_are_kept(client, settings):
    import datetime as dt

    from django.utils import timezone

    from channels.tasks import prune_seen_callbacks

    settings.WEBHOOK_REPLAY_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)
    SeenCallback.objects.bulk_create([SeenCallback(key="twilio:status:SMa:delivered:", seen_at=old),
                                      SeenCallback(key="notify:sha256=ab", seen_at=old),
                                      SeenCallback(key="twilio:inbound:SMb", seen_at=old),
                                      SeenCallback(key="twilio:status:SMc:sent:")])
    assert prune_seen_callbacks() == 2
    assert sorted(SeenCallback.objects.values_list("key", flat=True)) == ["twilio:inbound:SMb",
                                                                         "twilio:status:SMc:sent:"]
