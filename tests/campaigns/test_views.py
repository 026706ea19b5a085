"""The pages: template editor, campaign pages, the approval page and queue, served per role."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from campaigns.models import Campaign, Template
from campaigns.services import campaign_submit, campaign_update, template_version_create

pytestmark = pytest.mark.django_db


def test_saving_the_editor_makes_a_new_version_and_preview_saves_nothing(client_for, people, email_template):
    client = client_for(people["author"])
    url = reverse("campaigns:template_detail", args=[email_template.pk])
    response = client.post(url, {"subject": "件名2", "text": "{{ name|sama }} 本文2", "preview": "1"})
    assert response.status_code == 200 and email_template.versions.count() == 1
    response = client.post(url, {"subject": "件名2", "text": "{{ name|sama }} 本文2", "note": "wording"})
    assert response.status_code == 302
    assert email_template.latest_version.number == 2 and email_template.latest_version.note == "wording"


def test_preview_uses_a_real_recipient_who_has_the_fields(client_for, people, email_template, segment):
    response = client_for(people["author"]).get(reverse("campaigns:template_detail", args=[email_template.pk]))
    body = response.content.decode()
    assert "顧客0様" in body and "1,000円" in body and "2026年11月25日" in body


def test_a_new_template_from_the_form(client_for, people):
    response = client_for(people["author"]).post(reverse("campaigns:template_new"), {
        "name": "SMS1", "channel": "sms", "body": "{{ name }}様 お支払いのお願い"})
    assert response.status_code == 302
    assert Template.objects.get(name="SMS1").latest_version.body == "{{ name }}様 お支払いのお願い"


def test_create_a_campaign_from_the_form(client_for, people, email_template, segment, email_sender):
    response = client_for(people["author"]).post(reverse("campaigns:new"), {
        "name": "請求", "purpose": "notice", "template": email_template.pk, "segment": segment.pk,
        "sender": email_sender.pk, "window_start_hour": 9, "window_end_hour": 20,
        "window_weekdays": [0, 1, 2, 3, 4], "window_tz": "Asia/Tokyo", "throttle_per_s": 5,
        "test_addresses": "qa@bank.example.jp\nqa2@bank.example.jp", "pilot_percentage": 0,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(name="請求")
    assert campaign.channel == "email" and campaign.window_weekdays == [0, 1, 2, 3, 4]
    assert campaign.test_addresses == ["qa@bank.example.jp", "qa2@bank.example.jp"]


def test_a_widened_collection_window_is_refused_on_the_form(client_for, people, sms_template, segment, sms_sender):
    response = client_for(people["author"]).post(reverse("campaigns:new"), {
        "name": "督促", "purpose": "collection", "template": sms_template.pk, "segment": segment.pk,
        "sender": sms_sender.pk, "window_start_hour": 8, "window_end_hour": 22, "window_weekdays": [0],
        "window_tz": "Asia/Tokyo", "throttle_per_s": 5, "pilot_percentage": 0,
    })
    assert response.status_code == 200
    assert "08:00" in response.content.decode() and not Campaign.objects.filter(name="督促").exists()


def test_submit_from_the_campaign_page_then_it_waits_in_the_queue(client_for, people, email_campaign, client):
    author = client_for(people["author"])
    response = author.post(reverse("campaigns:submit", args=[email_campaign.pk]))
    assert response.status_code == 302
    email_campaign.refresh_from_db()
    assert email_campaign.state == "pending_approval"
    client.force_login(people["approver"])
    queue = client.get(reverse("campaigns:queue")).content.decode()
    assert reverse("campaigns:review", args=[email_campaign.pk]) in queue


@override_settings(APPROVALS_REQUIRED=2)
def test_the_queue_hides_own_campaigns_and_those_already_approved(client, people, email_campaign):
    from campaigns.services import campaign_approve

    campaign = campaign_submit(campaign=email_campaign, user=people["author"])
    client.force_login(people["author"])
    assert client.get(reverse("campaigns:queue")).status_code == 403  # operators have no queue
    campaign_approve(campaign=campaign, user=people["approver"], seen_hash=campaign.content_hash)
    client.force_login(people["approver"])
    assert "11月請求" not in client.get(reverse("campaigns:queue")).content.decode()
    client.force_login(people["approver2"])
    assert "11月請求" in client.get(reverse("campaigns:queue")).content.decode()


def test_the_approval_page_shows_what_the_approver_signs(client, people, email_campaign):
    campaign = campaign_submit(campaign=email_campaign, user=people["author"])
    client.force_login(people["approver"])
    body = client.get(reverse("campaigns:review", args=[campaign.pk])).content.decode()
    assert 'id="previews"' in body and "様" in body and "円" in body  # rendered for real recipients
    assert "{{ name|sama }}" in body  # the raw template
    assert 'id="findings"' in body and "audience.sendable" in body
    assert 'id="sendable">10<' in body
    assert campaign.content_hash in body
    assert "No test send" in body or "テスト送信なし" in body
    assert 'id="approve-form"' in body and 'id="reject-form"' in body
    assert 'id="diff-none"' in body


def test_the_approval_page_diffs_against_the_last_approved_version(client, people, email_campaign, email_template):
    from campaigns.services import campaign_approve, campaign_create

    first = campaign_submit(campaign=email_campaign, user=people["author"])
    campaign_approve(campaign=first, user=people["approver"], seen_hash=first.content_hash)
    template_version_create(template=email_template, user=people["author"], subject="【サンプル銀行】ご請求のお知らせ",
                            text="{{ name|sama }}\nご請求額は {{ amount|yen }} です\n期限: {{ due|jdate }}\n")
    second = campaign_create(user=people["author"], name="12月請求", purpose="notice", template=email_template,
                             segment=first.segment, sender=first.sender)
    second = campaign_submit(campaign=second, user=people["author"])
    client.force_login(people["approver"])
    body = client.get(reverse("campaigns:review", args=[second.pk])).content.decode()
    assert "(v1 → v2)" in body
    assert '<span class="add">+ご請求額は {{ amount|yen }} です</span>' in body
    assert '<span class="del">-ご請求額: {{ amount|yen }}</span>' in body


def test_a_stale_approval_page_is_refused_with_a_message(client, people, email_campaign):
    campaign = campaign_submit(campaign=email_campaign, user=people["author"])
    seen = campaign.content_hash
    campaign = campaign_update(campaign=campaign, user=people["author"], throttle_per_s=3)
    campaign_submit(campaign=campaign, user=people["author"])
    client.force_login(people["approver"])
    response = client.post(reverse("campaigns:approve", args=[campaign.pk]), {"seen_hash": seen, "confirm": "on"},
                           follow=True)
    campaign.refresh_from_db()
    assert campaign.state == "pending_approval"
    assert "changed after you opened it" in response.content.decode() or "画面を開いた後に" in response.content.decode()


def test_approve_needs_the_confirmation(client, people, email_campaign):
    campaign = campaign_submit(campaign=email_campaign, user=people["author"])
    client.force_login(people["approver"])
    client.post(reverse("campaigns:approve", args=[campaign.pk]), {"seen_hash": campaign.content_hash})
    campaign.refresh_from_db()
    assert campaign.state == "pending_approval"
    client.post(reverse("campaigns:approve", args=[campaign.pk]), {"seen_hash": campaign.content_hash,
                                                                   "confirm": "on"})
    campaign.refresh_from_db()
    assert campaign.state == "approved"


def test_the_author_sees_why_they_cannot_approve(client, people, email_template, segment, email_sender):
    from campaigns.services import campaign_create

    campaign = campaign_create(user=people["admin"], name="自作", purpose="notice", template=email_template,
                               segment=segment, sender=email_sender)
    campaign = campaign_submit(campaign=campaign, user=people["admin"])
    client.force_login(people["admin"])
    body = client.get(reverse("campaigns:review", args=[campaign.pk])).content.decode()
    assert 'id="blocker"' in body and 'id="approve-form"' not in body


def test_reject_from_the_page_needs_a_comment(client, people, email_campaign):
    campaign = campaign_submit(campaign=email_campaign, user=people["author"])
    client.force_login(people["approver"])
    response = client.post(reverse("campaigns:reject", args=[campaign.pk]), {"comment": ""})
    assert response.status_code == 200
    client.post(reverse("campaigns:reject", args=[campaign.pk]), {"comment": "宛先が違う"})
    campaign.refresh_from_db()
    assert campaign.state == "rejected"


@override_settings(EMAIL_SETTINGS={"backend": "memory"})
def test_test_send_goes_to_the_test_group_and_is_shown_to_approvers(client_for, people, email_campaign, client):
    from channels.adapters import memory

    memory.reset()
    author = client_for(people["author"])
    author.post(reverse("campaigns:test_send", args=[email_campaign.pk]))
    sent = memory.sent("email")
    assert [m.to for m in sent] == ["qa@bank.example.jp"]
    assert sent[0].subject.startswith("[TEST] 【サンプル銀行】") and "様" in sent[0].text
    assert sent[0].from_ == "サンプル銀行 <info@bank.example.jp>"
    event = AuditEvent.objects.get(action="campaign.test_sent")
    assert event.details["addresses"] == ["qa@bank.example.jp"] and event.outcome == "sent"
    campaign = campaign_submit(campaign=email_campaign, user=people["author"])
    client.force_login(people["approver"])
    body = client.get(reverse("campaigns:review", args=[campaign.pk])).content.decode()
    assert 'class="badge ok"' in body  # the test send was of exactly this content


def test_the_missing_field_link_lists_the_recipients(client_for, people, make_audience, email_sender):
    from campaigns.services import campaign_create, template_create

    from .conftest import customer

    segment = make_audience([customer(1), customer(2, attributes={"due": "2026-11-25"})])
    template = template_create(user=people["author"], name="t", channel="email", subject="s", text="{{ amount }}")
    campaign = campaign_create(user=people["author"], name="c", purpose="notice", template=template,
                               segment=segment, sender=email_sender)
    body = client_for(people["author"]).get(reverse("campaigns:missing_field", args=[campaign.pk, "amount"]))
    text = body.content.decode()
    assert "顧客2" in text and "顧客1" not in text


def test_an_auditor_reads_campaigns_but_has_no_buttons(client_for, people, email_campaign):
    body = client_for(people["auditor"]).get(reverse("campaigns:detail", args=[email_campaign.pk])).content.decode()
    assert email_campaign.name in body and 'id="actions"' not in body
