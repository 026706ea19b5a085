"""The send log: deliveries with their full status history, a campaign's approvals, delivery exports."""

from __future__ import annotations

import hashlib
import re

import pytest

from audit.models import AuditEvent
from audit.services import Event, record_many
from campaigns.models import Delivery
from campaigns.services import campaign_approve, campaign_submit
from tests.audit.conftest import body, read_csv
from tests.campaigns import conftest as campaigns_fixtures

pytestmark = pytest.mark.django_db

people, segment, make_audience = campaigns_fixtures.people, campaigns_fixtures.segment, campaigns_fixtures.make_audience
email_template, email_sender = campaigns_fixtures.email_template, campaigns_fixtures.email_sender
email_campaign = campaigns_fixtures.email_campaign


@pytest.fixture
def approved(email_campaign, people):
    campaign = campaign_submit(campaign=email_campaign, user=people["author"])
    return campaign_approve(campaign=campaign, user=people["approver"], seen_hash=campaign.content_hash,
                            comment="金額と期限を確認")


@pytest.fixture
def deliveries(approved, segment):
    """Three deliveries as the dispatch would leave them, each with the events the dispatch writes."""
    from audiences.models import Recipient

    recipients = list(Recipient.objects.order_by("id")[:3])
    rows, events = [], []
    for recipient, status in zip(recipients, ["delivered", "bounced", "skipped"], strict=True):
        delivery = Delivery.objects.create(campaign=approved, recipient=recipient, channel="email",
                                           address=recipient.email, status=status,
                                           skip_reason="suppressed.opt_out" if status == "skipped" else "")
        rows.append(delivery)
        steps = {"delivered": ["send.sent", "receipt.delivered"], "bounced": ["send.sent", "receipt.bounced"],
                 "skipped": ["send.skipped"]}[status]
        events += [Event(action=step, actor="system:worker@test", object_type="campaigns.delivery",
                         object_id=str(delivery.pk), campaign_id=approved.pk, recipient_id=recipient.pk,
                         channel="email", address=recipient.email, outcome=step.split(".")[1]) for step in steps]
    record_many(events)
    return rows


def test_a_delivery_shows_its_full_status_history(auditor_client, deliveries):
    bounced = deliveries[1]
    page = auditor_client.get(f"/audit/deliveries/{bounced.pk}/").content.decode()
    assert page.index("send.sent") < page.index("receipt.bounced")
    assert "receipt.delivered" not in page  # someone else's receipt
    assert bounced.recipient.external_id in page


def test_the_campaign_record_shows_approvals_and_every_delivery_with_its_history(
    auditor_client, approved, deliveries, people
):
    page = auditor_client.get(f"/audit/campaigns/{approved.pk}/").content.decode()
    approval = approved.approvals.get()
    assert f'data-approval="{approval.pk}"' in page
    assert people["approver"].username in page and "金額と期限を確認" in page and approval.content_hash in page
    assert "campaign.approved" in page and "campaign.submitted" in page
    for delivery in deliveries:
        row = re.search(rf'<tr data-delivery="{delivery.pk}">.*?</tr>', page, re.S).group(0)
        assert delivery.recipient.external_id in row
    assert 'data-count="bounced"' in page


def test_the_send_log_filters_by_status_and_customer_number(auditor_client, deliveries):
    page = auditor_client.get("/audit/deliveries/?status=bounced").content.decode()
    assert re.findall(r'data-delivery="(\d+)"', page) == [str(deliveries[1].pk)]
    external_id = deliveries[2].recipient.external_id
    page = auditor_client.get(f"/audit/deliveries/?recipient={external_id}").content.decode()
    assert re.findall(r'data-delivery="(\d+)"', page) == [str(deliveries[2].pk)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_deliveries_export_with_manifest_and_is_audited(auditor_client, approved, deliveries, fmt):
    response = auditor_client.get(f"/audit/deliveries/export/?campaign={approved.pk}&format={fmt}")
    data = body(response)
    assert response["X-Export-SHA256"] == hashlib.sha256(data).hexdigest() and response["X-Export-Rows"] == "3"
    if fmt == "csv":
        rows = read_csv(data)
        assert [r["status"] for r in rows] == ["delivered", "bounced", "skipped"]
        assert rows[0]["external_id"] == deliveries[0].recipient.external_id
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.details["kind"] == "deliveries" and event.details["filter"] == {"campaign_id": approved.pk}


def test_the_api_exports_deliveries_too(client, auditor, token_for, approved, deliveries):
    response = client.get(f"/api/v1/audit/export?kind=deliveries&campaign={approved.pk}&status=skipped",
                          headers={"Authorization": f"Bearer {token_for(auditor)}"})
    assert read_csv(body(response))[0]["skip_reason"] == "suppressed.opt_out"


@pytest.mark.parametrize("url", ["/audit/deliveries/", "/audit/deliveries/1/", "/audit/campaigns/1/",
                                 "/audit/deliveries/export/"])
def test_operators_and_approvers_are_refused_the_send_log(client, role_users, url):
    for role in ("operator", "approver"):
        client.force_login(role_users[role])
        assert client.get(url).status_code == 403
