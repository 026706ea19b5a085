"""Fixtures for campaigns: people with roles, senders, an audience in a list, templates and campaigns."""

from __future__ import annotations

import itertools

import pytest

from audiences.models import AudienceList, Membership, Recipient, Segment
from campaigns.models import Sender
from campaigns.services import campaign_create, template_create

_ids = itertools.count(1)

EMAIL_TEXT = "{{ name|sama }}\nご請求額: {{ amount|yen }}\n期限: {{ due|jdate }}\n"
SMS_BODY = "{{ name|sama }} ご請求額{{ amount|yen }}、期限{{ due|jdate }}です。サンプル銀行"
MARKETING_TEXT = "{{ name|sama }}\n新しいキャンペーンのお知らせです。\n配信停止はこちら: {{ unsubscribe_url }}\n"


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("operator", username="author"),
        "operator2": make_user("operator", username="operator2"),
        "approver": make_user("approver", username="approver1"),
        "approver2": make_user("approver", username="approver2"),
        "auditor": make_user("auditor", username="auditor1"),
        "admin": make_user("admin", username="admin1"),
    }


@pytest.fixture
def email_sender(db):
    return Sender.objects.create(channel="email", name="サンプル銀行", from_email="info@bank.example.jp",
                                 postal_address="東京都千代田区丸の内1-1-1", contact="0120-000-000")


@pytest.fixture
def sms_sender(db):
    return Sender.objects.create(channel="sms", name="サンプル銀行", sms_sender_id="SampleBank")


@pytest.fixture
def make_audience(db):
    """``make_audience(rows)`` → a Segment selecting exactly these recipients (dicts of Recipient fields)."""

    def make(rows: list[dict]) -> Segment:
        n = next(_ids)
        audience_list = AudienceList.objects.create(name=f"list-{n}")
        recipients = []
        for i, row in enumerate(rows):
            values = {"external_id": f"C{n:03d}-{i:06d}", "phone_type": "mobile", **row}
            values["email_normalized"] = values.get("email", "").lower()
            recipients.append(Recipient(**values))
        Recipient.objects.bulk_create(recipients, batch_size=2000)
        Membership.objects.bulk_create([Membership(audience_list=audience_list, recipient=r) for r in recipients],
                                       batch_size=2000)
        return Segment.objects.create(
            name=f"segment-{n}", rules={"match": "all", "rules": [{"field": "list", "op": "in",
                                                                  "value": [audience_list.pk]}]})

    return make


def customer(i: int, **extra) -> dict:
    return {
        "name": f"顧客{i}", "email": f"c{i}@example.jp", "phone": f"+8190{i:08d}",
        "attributes": {"amount": str(1000 + i), "due": "2026-11-25"}, **extra,
    }


@pytest.fixture
def segment(make_audience):
    return make_audience([customer(i) for i in range(10)])


@pytest.fixture
def email_template(people):
    return template_create(user=people["author"], name="請求のお知らせ", channel="email",
                           subject="【サンプル銀行】ご請求のお知らせ", text=EMAIL_TEXT)


@pytest.fixture
def sms_template(people):
    return template_create(user=people["author"], name="SMS督促", channel="sms", body=SMS_BODY)


@pytest.fixture
def email_campaign(people, email_template, segment, email_sender):
    return campaign_create(user=people["author"], name="11月請求", purpose="notice", template=email_template,
                           segment=segment, sender=email_sender, test_addresses=["qa@bank.example.jp"])


@pytest.fixture
def sms_campaign(people, sms_template, segment, sms_sender):
    return campaign_create(user=people["author"], name="11月督促SMS", purpose="collection", template=sms_template,
                           segment=segment, sender=sms_sender)
