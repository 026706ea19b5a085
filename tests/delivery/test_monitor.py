"""The campaign monitor page and its JSON: who may see it, what it counts, and the steering buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.dispatch import message_id_for
from campaigns.dispatch.materialise import campaign_start
from campaigns.models import Campaign, Delivery
from campaigns.receipts import apply_inbound_event
from channels.adapters import memory
from channels.inbound import Complaint

pytestmark = pytest.mark.django_db
S = Campaign.State


@pytest.fixture
def sent(email_campaign, approve, drive):
    memory.fail_for("c3@example.jp", code="smtp.5.1.1", permanent=True, suppression="hard_bounce")
    memory.fail_for("c4@example.jp", code="smtp.4.2.1", permanent=False)
    campaign = approve(email_campaign)
    drive()
    return Campaign.objects.get(pk=campaign.pk)


def test_the_json_counts_statuses_skips_errors_and_retries(sent, client_for, people):
    data = client_for(people["auditor"]).get(reverse("campaigns:monitor_json", args=[sent.pk])).json()
    assert data["state"] == "sending"
    assert data["counters"] | {} == {"pending": 1, "sending": 0, "sent": 8, "delivered": 0, "bounced": 0,
                                     "failed": 1, "skipped": 0, "total": 10}
    assert data["errors"] == [{"code": "smtp.5.1.1", "count": 1, "category": ""}]
    assert data["retrying"] == [{"code": "smtp.4.2.1", "count": 1}]
    assert data["complaints"]["level"] == "" and not data["final"]
    assert data["throughput"] == [] or all("per_s" in p for p in data["throughput"])


@pytest.mark.parametrize("role", ["operator", "approver", "auditor", "admin"])
def test_every_role_may_watch(sent, client_for, make_user, role):
    response = client_for(make_user(role)).get(reverse("campaigns:monitor", args=[sent.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="mon-state"' in html and 'id="mon-sent">8<' in html
    assert ('id="mon-pause-form"' in html) == (role != "auditor")
    assert ('id="mon-cancel-form"' in html) == (role in ("operator", "admin"))


def test_anonymous_users_are_sent_to_sign_in(sent, client):
    response = client.get(reverse("campaigns:monitor_json", args=[sent.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_pause_resume_and_cancel_from_the_monitor(sent, client_for, people):
    client = client_for(people["approver"])
    response = client.post(reverse("campaigns:monitor_pause", args=[sent.pk]), {"reason": "内容確認"})
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:monitor", args=[sent.pk])
    sent.refresh_from_db()
    assert sent.state == S.PAUSED and sent.status_reason == "内容確認"
    client.post(reverse("campaigns:monitor_resume", args=[sent.pk]))
    assert Campaign.objects.get(pk=sent.pk).state == S.SENDING
    assert client.post(reverse("campaigns:monitor_cancel", args=[sent.pk]), {"confirmed": "yes"}).status_code == 403
    operator = client_for(people["author"])
    operator.post(reverse("campaigns:monitor_cancel", args=[sent.pk]))  # without the confirmation: nothing
    assert Campaign.objects.get(pk=sent.pk).state == S.SENDING
    operator.post(reverse("campaigns:monitor_cancel", args=[sent.pk]), {"confirmed": "yes", "reason": "誤り"})
    assert Campaign.objects.get(pk=sent.pk).state == S.CANCELLED


def test_a_refused_action_is_shown_not_raised(sent, client_for, people):
    client = client_for(people["author"])
    response = client.post(reverse("campaigns:monitor_resume", args=[sent.pk]), follow=True)
    assert response.status_code == 200 and response.context["messages"]


def test_the_complaint_warning_and_eta(email_campaign, approve, drive, client_for, people, settings, clock):
    settings.COMPLAINT_MIN_SAMPLE, settings.COMPLAINT_WARN_BP, settings.COMPLAINT_PAUSE_BP = 5, 10, 5000
    campaign = approve(email_campaign)
    drive()
    row = Delivery.objects.filter(campaign=campaign).first()
    apply_inbound_event(Complaint(message_id=message_id_for(row.pk), address=row.address))
    data = client_for(people["operator2"]).get(reverse("campaigns:monitor_json", args=[campaign.pk])).json()
    assert data["complaints"] == {"count": 1, "delivered": 10, "percent": 10.0, "level": "warn"}
    assert data["final"] and data["eta_s"] is None


def test_the_eta_comes_from_the_recent_rate(email_campaign, approve, clock, django_capture_on_commit_callbacks):
    from campaigns.dispatch.monitor import monitor_data
    from campaigns.dispatch.tick import sample

    campaign = approve(email_campaign)
    campaign_start(campaign_id=campaign.pk)
    sample(campaign.pk, clock())
    Delivery.objects.filter(pk__in=list(Delivery.objects.filter(campaign=campaign)
                                        .values_list("id", flat=True)[:4])).update(status="sent")
    clock.advance(2)
    sample(campaign.pk, clock())
    data = monitor_data(Campaign.objects.get(pk=campaign.pk))
    assert data["rate_per_s"] == 2.0 and data["eta_s"] == 3  # 6 left at 2/s
    assert data["throughput"][-1]["per_s"] == 2.0
