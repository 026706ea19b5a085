"""The API: templates and campaigns CRUD, the lifecycle actions and status, with stable error codes."""

from __future__ import annotations

import json as jsonlib

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, token_for):
    def call(user, method, path, json=None):
        headers = {"Authorization": f"Bearer {token_for(user)}"}
        body = jsonlib.dumps(json if json is not None else {}) if method in ("POST", "PATCH") else None
        return client.generic(method, "/api/v1" + path, data=body, content_type="application/json", headers=headers)

    return call


def test_the_whole_journey_through_the_api(api, people, segment, email_sender):
    author, approver = people["author"], people["approver"]
    response = api(author, "POST", "/templates", {"name": "API請求", "channel": "email", "subject": "件名",
                                                  "text": "{{ name|sama }} {{ amount|yen }}"})
    assert response.status_code == 201, response.content
    template_id = response.json()["id"]
    response = api(author, "POST", f"/templates/{template_id}/versions", {"subject": "件名", "text": "{{ name }}様"})
    assert response.json()["number"] == 2
    response = api(author, "POST", "/campaigns", {"name": "API", "purpose": "notice", "template": template_id,
                                                  "segment": segment.pk, "sender": email_sender.pk})
    assert response.status_code == 201, response.content
    campaign_id = response.json()["id"]
    assert response.json()["channel"] == "email" and response.json()["state"] == "draft"
    response = api(author, "PATCH", f"/campaigns/{campaign_id}", {"throttle_per_s": 7})
    assert response.json()["throttle_per_s"] == 7
    response = api(author, "POST", f"/campaigns/{campaign_id}/submit")
    assert response.status_code == 200 and response.json()["state"] == "pending_approval"
    digest = response.json()["content_hash"]
    assert response.json()["template_version"] is not None
    response = api(author, "POST", f"/campaigns/{campaign_id}/approve", {"seen_hash": digest})
    assert response.status_code == 403  # operators may not approve at all
    response = api(approver, "POST", f"/campaigns/{campaign_id}/approve", {"seen_hash": "0" * 64})
    assert (response.status_code, response.json()["code"]) == (409, "campaign.stale")
    response = api(approver, "POST", f"/campaigns/{campaign_id}/approve", {"seen_hash": digest})
    assert response.json()["state"] == "approved" and response.json()["approvals"] == 1
    status = api(people["auditor"], "GET", f"/campaigns/{campaign_id}/status").json()
    assert status["state"] == "approved" and status["counters"]["total"] == 0
    response = api(author, "DELETE", f"/campaigns/{campaign_id}")
    assert response.json()["state"] == "cancelled"


def test_refusals_carry_the_service_code(api, people, email_campaign):
    response = api(people["author"], "POST", f"/campaigns/{email_campaign.pk}/pause")
    assert (response.status_code, response.json()["code"]) == (409, "campaign.wrong_state")
    response = api(people["author"], "PATCH", f"/campaigns/{email_campaign.pk}", {"throttle_per_s": 10 ** 6})
    assert (response.status_code, response.json()["code"]) == (400, "campaign.throttle_too_high")
    response = api(people["author"], "PATCH", f"/campaigns/{email_campaign.pk}", {"segment": 999999})
    assert response.json()["code"] == "campaign.unknown_segment"


def test_reject_needs_a_comment(api, people, email_campaign):
    api(people["author"], "POST", f"/campaigns/{email_campaign.pk}/submit")
    response = api(people["approver"], "POST", f"/campaigns/{email_campaign.pk}/reject", {"comment": ""})
    assert response.json()["code"] == "campaign.comment_required"
    response = api(people["approver"], "POST", f"/campaigns/{email_campaign.pk}/reject", {"comment": "直して"})
    assert response.json()["state"] == "rejected"


def test_submission_blocked_by_preflight_lists_the_errors(api, people, segment, email_sender):
    template = api(people["author"], "POST", "/templates", {"name": "m", "channel": "email", "subject": "s",
                                                           "text": "セール"}).json()
    campaign = api(people["author"], "POST", "/campaigns", {"name": "m", "purpose": "marketing",
                                                           "template": template["id"], "segment": segment.pk,
                                                           "sender": email_sender.pk}).json()
    response = api(people["author"], "POST", f"/campaigns/{campaign['id']}/submit")
    assert response.status_code == 409
    assert response.json()["code"] == "campaign.preflight_failed"
    assert "marketing.opt_out_missing" in response.json()["details"]["errors"]


def test_missing_objects_are_404(api, people):
    assert api(people["auditor"], "GET", "/campaigns/999999").status_code == 404
    assert api(people["author"], "GET", "/templates/999999").status_code == 404
