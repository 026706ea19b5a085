"""Parsing inbound callbacks into events: Twilio signatures and bodies, keywords, DSNs, the email webhook."""

from __future__ import annotations

import json

import pytest

from channels.inbound import Bounce, Complaint, DeliveryReceipt, InboundReply, OptIn, OptOut
from channels.inbound.dsn import parse_dsn
from channels.inbound.twilio import (
    compute_signature,
    keyword_of,
    parse_inbound_sms,
    parse_status_callback,
    verify_signature,
)
from channels.inbound.webhook import WebhookError, parse_events, sign, verify

# Twilio's published example (security docs and every official helper library's tests).
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212"}


def test_the_signature_matches_twilios_documented_example():
    assert compute_signature(DOC_URL, DOC_PARAMS, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert verify_signature(DOC_URL, DOC_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345")


def test_repeated_parameters_are_sorted_and_deduplicated_like_twilios_libraries():
    params = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
    assert compute_signature(DOC_URL, params, "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


@pytest.mark.parametrize(
    ("url", "params", "signature", "token"),
    [
        (DOC_URL + "&x=1", DOC_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345"),
        (DOC_URL, {**DOC_PARAMS, "Digits": "9999"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345"),
        (DOC_URL, DOC_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "54321"),
        (DOC_URL, DOC_PARAMS, "", "12345"),
        (DOC_URL, DOC_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", ""),  # no token configured: refuse everything
    ],
)
def test_any_change_breaks_the_signature(url, params, signature, token):
    assert not verify_signature(url, params, signature, token)


def test_the_default_port_may_be_present_or_not():
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    signature = compute_signature(with_port, DOC_PARAMS, "12345")
    assert verify_signature(DOC_URL, DOC_PARAMS, signature, "12345")
    assert verify_signature(with_port, DOC_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345")


def test_a_status_callback_becomes_a_delivery_receipt():
    receipt = parse_status_callback({"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+819000000001"},
                                    message_id="dlv-1")
    assert isinstance(receipt, DeliveryReceipt)
    assert (receipt.channel, receipt.message_id, receipt.provider_id, receipt.status, receipt.final) == (
        "sms", "dlv-1", "SM1", "delivered", True)
    assert receipt.error_code == ""


@pytest.mark.parametrize(
    ("code", "category", "suppression"),
    [(30003, "unreachable", ""), (30005, "unknown_destination", ""), (30006, "landline", ""),
     (30007, "carrier_filtered", ""), (21610, "", "opt_out")],
)
def test_a_failed_callback_carries_the_code_and_its_meaning(code, category, suppression):
    receipt = parse_status_callback({"MessageSid": "SM2", "MessageStatus": "undelivered", "ErrorCode": str(code)})
    assert (receipt.status, receipt.error_code, receipt.permanent) == ("undelivered", f"twilio.{code}", True)
    assert (receipt.category, receipt.suppression) == (category, suppression)


def test_intermediate_statuses_are_not_final():
    assert not parse_status_callback({"MessageSid": "SM3", "MessageStatus": "sent"}).final


@pytest.mark.parametrize(
    "body",
    ["STOP", "stop", " Stop ", "ＳＴＯＰ", "停止", "停止。", "　停止　", "配信停止", "配信 停止",
     "配信停止してください", "配信停止を希望", "UNSUBSCRIBE", "stop please"],
)
def test_stop_replies_are_opt_outs(body):
    event = parse_inbound_sms({"From": "+819012345678", "Body": body, "MessageSid": "SM9"})
    assert isinstance(event, OptOut)
    assert (event.channel, event.address, event.provider_id) == ("sms", "+819012345678", "SM9")


@pytest.mark.parametrize("body", ["START", "start", "ｓｔａｒｔ", " Start\n", "再開"])
def test_start_replies_are_opt_ins(body):
    event = parse_inbound_sms({"From": "+819012345678", "Body": body})
    assert isinstance(event, OptIn)


@pytest.mark.parametrize("body", ["停止した理由を教えて", "Don't stop", "ありがとうございます", "", "STOPPED?"])
def test_other_replies_are_just_replies(body):
    assert isinstance(parse_inbound_sms({"From": "+819012345678", "Body": body}), InboundReply)


def test_twilios_own_opt_out_classification_is_trusted():
    event = parse_inbound_sms({"From": "+819012345678", "Body": "やめて", "OptOutType": "STOP"})
    assert isinstance(event, OptOut)


def test_keyword_normalisation_reports_the_canonical_keyword():
    assert keyword_of("ＳＴＯＰ") == ("opt_out", "STOP")
    assert keyword_of("配信停止してください") == ("opt_out", "配信停止")


# -- the generic email-event webhook ----------------------------------------------------------------
def test_a_signed_fresh_body_verifies():
    body = b'{"type": "bounce"}'
    headers = sign(body, "s3cret", timestamp=1_800_000_000)
    verify(body, timestamp=headers["X-Notify-Timestamp"], signature=headers["X-Notify-Signature"], secret="s3cret",
           max_age_s=300, now=1_800_000_100)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b, h: (b + b" ", h), "webhook.bad_signature"),
        (lambda b, h: (b, {**h, "X-Notify-Timestamp": str(int(h["X-Notify-Timestamp"]) + 1)}), "webhook.bad_signature"),
        (lambda b, h: (b, {**h, "X-Notify-Timestamp": ""}), "webhook.timestamp_missing"),
    ],
)
def test_a_changed_body_or_timestamp_is_refused(mutate, code):
    body = b'{"type": "bounce"}'
    body, headers = mutate(body, sign(body, "s3cret", timestamp=1_800_000_000))
    with pytest.raises(WebhookError) as info:
        verify(body, timestamp=headers["X-Notify-Timestamp"], signature=headers["X-Notify-Signature"],
               secret="s3cret", max_age_s=300, now=1_800_000_000)
    assert info.value.code == code


def test_a_replayed_old_request_is_refused():
    body = b"{}"
    headers = sign(body, "s3cret", timestamp=1_800_000_000)
    with pytest.raises(WebhookError, match="replay"):
        verify(body, timestamp=headers["X-Notify-Timestamp"], signature=headers["X-Notify-Signature"],
               secret="s3cret", max_age_s=300, now=1_800_000_301)


def test_email_events_are_parsed_and_classified_by_rfc3463():
    body = json.dumps({"events": [
        {"type": "bounce", "message_id": "<dlv-1@example.jp>", "address": "a@example.jp", "status": "5.1.1",
         "diagnostic": "smtp; 550 5.1.1 user unknown"},
        {"type": "bounce", "verp": "bounces+dlv-2@mail.example.jp", "address": "b@example.jp", "status": "4.2.2"},
        {"type": "bounce", "message_id": "dlv-3", "address": "c@example.jp", "status": "5.7.1"},
        {"type": "complaint", "message_id": "dlv-4", "address": "d@example.jp"},
        {"type": "delivered", "message_id": "dlv-5"},
    ]}).encode()
    hard, soft, policy, complaint, delivered = parse_events(body)
    assert hard == Bounce(message_id="dlv-1", address="a@example.jp", kind="hard", status="5.1.1",
                          diagnostic="smtp; 550 5.1.1 user unknown", suppression="hard_bounce")
    assert (soft.message_id, soft.kind, soft.suppression) == ("dlv-2", "soft", "")
    assert (policy.kind, policy.suppression, policy.error_code) == ("hard", "", "smtp.5.7.1")
    assert complaint == Complaint(message_id="dlv-4", address="d@example.jp")
    assert (delivered.status, delivered.message_id, delivered.channel) == ("delivered", "dlv-5", "email")


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"not json", "webhook.bad_json"), (b'{"type": "bounce", "status": "oops"}', "webhook.bad_status"),
     (b'{"type": "surprise"}', "webhook.unknown_type"), (b"[1, 2]", "webhook.bad_shape")],
)
def test_malformed_email_events_are_refused_with_a_code(body, code):
    with pytest.raises(WebhookError) as info:
        parse_events(body)
    assert info.value.code == code


# -- DSNs -------------------------------------------------------------------------------------------
DSN = (
    "From: MAILER-DAEMON@mx.example.net\r\n"
    "To: bounces+dlv-42@mail.example.jp\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
    "\r\n--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
    "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; mx.example.net\r\n\r\n"
    "Final-Recipient: rfc822; taro@example.jp\r\nAction: failed\r\nStatus: {status}\r\n"
    "Diagnostic-Code: smtp; 550 {status} mailbox unavailable\r\n"
    "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    "Message-ID: <dlv-42@example.jp>\r\nSubject: x\r\n"
    "\r\n--B--\r\n"
)


def test_a_dsn_becomes_a_hard_bounce_for_the_verp_delivery():
    [bounce] = parse_dsn(DSN.format(status="5.1.1").encode())
    assert (bounce.message_id, bounce.address) == ("dlv-42", "taro@example.jp")
    assert (bounce.kind, bounce.status) == ("hard", "5.1.1")
    assert bounce.suppression == "hard_bounce"
    assert "mailbox unavailable" in bounce.diagnostic


def test_a_delayed_dsn_is_a_soft_bounce():
    raw = DSN.format(status="4.4.7").replace("Action: failed", "Action: delayed").encode()
    [bounce] = parse_dsn(raw)
    assert (bounce.kind, bounce.suppression) == ("soft", "")


def test_without_verp_the_returned_message_id_names_the_delivery():
    raw = DSN.format(status="5.2.1").replace("bounces+dlv-42@mail.example.jp", "bounces@mail.example.jp").encode()
    [bounce] = parse_dsn(raw)
    assert bounce.message_id == "dlv-42"


def test_an_ordinary_message_is_not_a_dsn():
    assert parse_dsn(b"From: a@b.jp\r\nSubject: hi\r\n\r\nhello\r\n") == []


def test_receive_bounce_hands_a_piped_dsn_to_the_handler(monkeypatch, capsys):
    import io
    import sys

    from django.core.management import call_command

    from channels.inbound import handlers

    events = []
    monkeypatch.setattr(handlers, "_handlers", [events.append])
    raw = DSN.format(status="5.1.1").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("receive_bounce")
    assert [(b.message_id, b.kind, b.suppression) for b in events] == [("dlv-42", "hard", "hard_bounce")]
    assert "hard bounce 5.1.1 for delivery dlv-42" in capsys.readouterr().out


def test_receive_bounce_asks_the_mta_to_retry_without_a_handler(monkeypatch):
    import io
    import sys

    from django.core.management import call_command

    from channels.inbound import handlers

    monkeypatch.setattr(handlers, "_handlers", [])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DSN.format(status="5.1.1").encode())))
    with pytest.raises(SystemExit) as info:
        call_command("receive_bounce")
    assert info.value.code == 75
