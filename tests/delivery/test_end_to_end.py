"""Acceptance, end to end: approved campaigns through the pipeline to a real SMTP server (aiosmtpd, DKIM on)
and to a local HTTP server speaking Twilio's Messages API; provider callbacks through the real webhook views.
"""

from __future__ import annotations

import email
import re
from collections import Counter
from email import policy
from urllib.parse import urlsplit

import dkim
import pytest
from django.test import Client

from audiences.models import Suppression
from audiences.selectors import segment_recipients
from audiences.services import exclusion_entries_add, exclusion_list_create, suppression_add
from audit.models import AuditEvent
from campaigns.dispatch import delivery_id_from, message_id_for
from campaigns.models import Campaign, Delivery
from campaigns.services import campaign_create
from channels.inbound.twilio import compute_signature

from .conftest import customer, mobile

pytestmark = pytest.mark.django_db
S, D = Campaign.State, Delivery.Status
BASE = "https://notify.example.jp"


@pytest.fixture
def smtp(smtp_sink, settings, dkim_key):
    settings.EMAIL_SETTINGS = {"backend": "smtp", "host": smtp_sink.host, "port": smtp_sink.port, "username": "",
                               "password": "", "ssl": False, "starttls": False, "timeout": 5}
    settings.DKIM_DOMAIN, settings.DKIM_SELECTOR, settings.DKIM_PRIVATE_KEY_FILE = "bank.example.jp", "nc", \
        dkim_key.pem_path
    settings.EMAIL_BOUNCE_ADDRESS = "bounces@mail.bank.example.jp"
    settings.PUBLIC_BASE_URL = BASE
    return smtp_sink


@pytest.fixture
def sms(twilio, settings):
    settings.PUBLIC_BASE_URL = BASE
    return twilio


def _parsed(received):
    return email.message_from_bytes(received.data, policy=policy.compat32)


def _audited(campaign) -> None:
    """Every delivery row of the campaign has at least one audit event naming it."""
    ids = {str(i) for i in Delivery.objects.filter(campaign=campaign).values_list("id", flat=True)}
    audited = set(AuditEvent.objects.filter(object_type="campaigns.delivery", campaign_id=campaign.pk)
                  .values_list("object_id", flat=True))
    assert ids and ids == audited


@pytest.fixture
def marketing_email(people, make_audience, marketing_template, email_sender, consent):
    rows = [customer(i) for i in range(8)] + [customer(8, email="")]
    segment = make_audience(rows)
    consent(segment, [f"c{i}@example.jp" for i in range(8) if i != 6])  # c6 never agreed
    suppression_add(channel="email", address="c1@example.jp", reason="hard_bounce", source="test")
    excluded = exclusion_list_create(name="交渉中", user=people["author"])
    c2 = segment_recipients(segment).get(email="c2@example.jp")
    exclusion_entries_add(exclusion_list=excluded, external_ids=[c2.external_id], user=people["author"])
    return campaign_create(user=people["author"], name="秋のご案内", purpose="marketing", template=marketing_template,
                           segment=segment, sender=email_sender, exclusion_list=excluded)


def test_email_campaign_end_to_end_over_smtp_with_dkim_and_one_click_unsubscribe(
        marketing_email, smtp, dkim_key, approve, drive, people, marketing_template, email_sender):
    campaign = approve(marketing_email)
    drive()
    campaign.refresh_from_db()
    assert campaign.state == S.COMPLETED

    # every eligible recipient exactly one message; the blocked ones none, with a skipped row and the reason
    eligible = {f"c{i}@example.jp" for i in (0, 3, 4, 5, 7)}
    recipients = Counter(rcpt for m in smtp.messages for rcpt in m.rcpt_tos)
    assert recipients == Counter(dict.fromkeys(eligible, 1))
    rows = {d.address or "(none)": (d.status, d.skip_reason) for d in Delivery.objects.filter(campaign=campaign)}
    assert rows == {**dict.fromkeys(eligible, (D.SENT, "")),
                    "c1@example.jp": (D.SKIPPED, "suppressed.hard_bounce"),
                    "c2@example.jp": (D.SKIPPED, "excluded"),
                    "c6@example.jp": (D.SKIPPED, "no_consent"),
                    "(none)": (D.SKIPPED, "no_contact")}
    _audited(campaign)

    for received in smtp.messages:
        parsed = _parsed(received)
        delivery = Delivery.objects.get(pk=delivery_id_from(parsed["Message-ID"][1:].split("@")[0]))
        assert parsed["Message-ID"] == f"<{message_id_for(delivery.pk)}@bank.example.jp>"
        assert received.mail_from == f"bounces+{message_id_for(delivery.pk)}@mail.bank.example.jp"  # VERP
        assert dkim.verify(received.data, dnsfunc=dkim_key.dnsfunc)
        signature = re.sub(r"\s+", "", parsed["DKIM-Signature"])
        signed = set(re.search(r"h=([^;]+)", signature).group(1).split(":"))
        assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject", "message-id"} <= signed
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert parsed["List-Unsubscribe"].startswith(f"<{BASE}/audiences/u/")
        body = email.message_from_bytes(received.data, policy=policy.default).get_body(("plain",)).get_content()
        assert "配信停止はこちら: " + BASE in body and "送信者: サンプル銀行" in body  # 特定電子メール法 footer

    # RFC 8058 one-click: no cookie, no CSRF token, 200 without a redirect
    c3 = next(m for m in smtp.messages if m.rcpt_tos == ["c3@example.jp"])
    link = _parsed(c3)["List-Unsubscribe"].strip("<>").split(">")[0]
    response = Client(enforce_csrf_checks=True).post(urlsplit(link).path, "List-Unsubscribe=One-Click",
                                                     content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Suppression.objects.filter(address="c3@example.jp", channel="email", reason="opt_out").exists()

    # the next campaign skips that address
    smtp.messages.clear()
    following = approve(campaign_create(user=people["author"], name="冬のご案内", purpose="marketing",
                                        template=marketing_template, segment=marketing_email.segment,
                                        sender=email_sender))
    drive()
    assert Delivery.objects.get(campaign=following, address="c3@example.jp").skip_reason == "suppressed.opt_out"
    # (no exclusion list this time: c2 gets it)
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == [f"c{i}@example.jp" for i in (0, 2, 4, 5, 7)]


@pytest.fixture
def sms_campaign_with_landline(people, make_audience, sms_template, sms_sender):
    segment = make_audience([customer(i, phone=mobile(i)) for i in range(5)]
                            + [customer(5, phone="+81312345678", phone_type="fixed_line")])
    suppression_add(channel="sms", address=mobile(4), reason="opt_out", source="test")
    return campaign_create(user=people["author"], name="督促SMS", purpose="collection", template=sms_template,
                           segment=segment, sender=sms_sender)


def _twilio_post(client, path: str, params: dict, token: str):
    signature = compute_signature(BASE + path, params, token)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


def test_sms_campaign_end_to_end_through_the_twilio_api_and_its_callbacks(
        sms_campaign_with_landline, sms, approve, drive, client):
    campaign = approve(sms_campaign_with_landline)
    drive()
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED
    assert Counter(m["To"] for m in sms.messages) == Counter({mobile(i): 1 for i in range(4)})
    rows = {d.address: (d.status, d.skip_reason) for d in Delivery.objects.filter(campaign=campaign)}
    assert rows[mobile(4)] == (D.SKIPPED, "suppressed.opt_out")
    assert rows["+81312345678"] == (D.SKIPPED, "not_mobile")
    _audited(campaign)
    for message in sms.messages:  # the delivery id travels in the signed callback URL
        delivery = Delivery.objects.get(pk=delivery_id_from(message["mid"]))
        assert delivery.address == message["To"] and delivery.provider_id == message["sid"]
        assert "様" in message["Body"]

    first = sms.messages[0]
    path = urlsplit(first["StatusCallback"])
    status_path = f"{path.path}?{path.query}"
    # a forged status callback (signed with another key) is refused and changes nothing
    params = {"MessageSid": first["sid"], "MessageStatus": "delivered", "AccountSid": sms.account_sid}
    assert _twilio_post(client, status_path, params, "not-the-token").status_code == 403
    delivery = Delivery.objects.get(pk=delivery_id_from(first["mid"]))
    assert delivery.status == D.SENT
    # the real one is applied
    assert _twilio_post(client, status_path, params, sms.auth_token).status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED
    # an undelivered callback with 30007 fails the row with the code
    second = sms.messages[1]
    path = urlsplit(second["StatusCallback"])
    params = {"MessageSid": second["sid"], "MessageStatus": "undelivered", "ErrorCode": "30007"}
    assert _twilio_post(client, f"{path.path}?{path.query}", params, sms.auth_token).status_code == 204
    assert Delivery.objects.get(pk=delivery_id_from(second["mid"])).error_code == "twilio.30007"


def test_an_inbound_teishi_reply_suppresses_the_number(sms, client, db):
    params = {"MessageSid": "SMin", "From": mobile(7), "To": "+815012345678", "Body": "停止", "AccountSid": "x"}
    response = _twilio_post(client, "/channels/hooks/twilio/inbound", params, sms.auth_token)
    assert response.status_code == 200
    suppression = Suppression.objects.get(address=mobile(7))
    assert (suppression.channel, suppression.reason) == ("sms", "opt_out")
    assert AuditEvent.objects.filter(action="inbound.opt_out", address=mobile(7)).exists()
    forged = _twilio_post(client, "/channels/hooks/twilio/inbound", {**params, "From": mobile(8)}, "forged")
    assert forged.status_code == 403 and not Suppression.objects.filter(address=mobile(8)).exists()


def test_transient_twilio_errors_retry_and_permanent_ones_fail_with_the_code(
        sms_campaign_with_landline, sms, approve, drive):
    sms.script_number(mobile(2), status=400, code=21614)
    sms.fail_next(1, status=429, code=20429, retry_after="1")
    campaign = approve(sms_campaign_with_landline)
    drive(rounds=20, advance=60)
    rows = {d.address: d for d in Delivery.objects.filter(campaign=campaign)}
    assert (rows[mobile(2)].status, rows[mobile(2)].error_code) == (D.FAILED, "twilio.21614")
    assert all(rows[mobile(i)].status == D.SENT for i in (0, 1, 3))
    assert Counter(m["To"] for m in sms.messages) == Counter({mobile(i): 1 for i in (0, 1, 3)})
    assert AuditEvent.objects.filter(action="send.deferred", details__error_code="twilio.20429").count() == 1
    assert Campaign.objects.get(pk=campaign.pk).state == S.COMPLETED
