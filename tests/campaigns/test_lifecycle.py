"""The campaign state machine: each transition, each guard, and the audit trail carrying the hash."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.test import override_settings

from audit.models import AuditEvent
from campaigns.models import Approval, Campaign
from campaigns.services import (
    CampaignError,
    campaign_approve,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_reject,
    campaign_release,
    campaign_resume,
    campaign_submit,
    campaign_transition,
    campaign_update,
    template_version_create,
)

from .conftest import MARKETING_TEXT

pytestmark = pytest.mark.django_db


def _code(excinfo) -> str:
    return excinfo.value.code


def _submitted(campaign, people):
    return campaign_submit(campaign=campaign, user=people["author"])


def _approve(campaign, user):
    return campaign_approve(campaign=campaign, user=user, seen_hash=campaign.content_hash)


def test_submit_pins_the_version_and_audience_and_records_the_hash(email_campaign, people, segment):
    campaign = _submitted(email_campaign, people)
    assert campaign.state == Campaign.State.PENDING_APPROVAL
    assert campaign.template_version == email_campaign.template.latest_version
    assert campaign.segment_definition == segment.rules
    assert len(campaign.content_hash) == 64
    assert campaign.preflight_summary["sendable"] == 10
    event = AuditEvent.objects.get(action="campaign.submitted")
    assert event.details["content_hash"] == campaign.content_hash
    assert event.campaign_id == campaign.pk and event.actor == "author"


def test_a_segment_edited_after_submission_does_not_change_the_audience(email_campaign, people, segment):
    campaign = _submitted(email_campaign, people)
    segment.rules = {"match": "all", "rules": [{"field": "name", "op": "equals", "value": "nobody"}]}
    segment.save()
    campaign.refresh_from_db()
    from campaigns.selectors import campaign_audience

    assert campaign_audience(campaign).count() == 10


def test_approver_approves_and_the_event_carries_the_hash(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    assert campaign.state == Campaign.State.APPROVED and campaign.approved_at is not None
    event = AuditEvent.objects.get(action="campaign.approved")
    assert event.details["content_hash"] == campaign.content_hash
    assert event.details["approvers"] == ["approver1"]


def test_the_creator_cannot_approve_even_with_the_permission(people, email_template, segment, email_sender):
    campaign = campaign_create(user=people["admin"], name="c", purpose="notice", template=email_template,
                               segment=segment, sender=email_sender)
    campaign = campaign_submit(campaign=campaign, user=people["admin"])
    with pytest.raises(CampaignError) as exc:
        _approve(campaign, people["admin"])
    assert _code(exc) == "campaign.approver_is_author"


def test_whoever_submitted_or_wrote_the_template_cannot_approve(people, email_template, segment, email_sender):
    campaign = campaign_create(user=people["operator2"], name="c", purpose="notice", template=email_template,
                               segment=segment, sender=email_sender)
    template_version_create(template=email_template, user=people["admin"], subject="件名", text="{{ name }}")
    campaign = campaign_submit(campaign=campaign, user=people["operator2"])
    with pytest.raises(CampaignError) as exc:
        _approve(campaign, people["admin"])  # wrote the version being sent
    assert _code(exc) == "campaign.approver_is_author"


def test_an_operator_without_the_permission_cannot_approve(email_campaign, people):
    campaign = _submitted(email_campaign, people)
    with pytest.raises(CampaignError) as exc:
        _approve(campaign, people["operator2"])
    assert _code(exc) == "campaign.approve_not_permitted"


@override_settings(APPROVALS_REQUIRED=2)
def test_dual_control_needs_two_different_approvers(email_campaign, people):
    campaign = _submitted(email_campaign, people)
    assert campaign.approvals_required == 2
    campaign = _approve(campaign, people["approver"])
    assert campaign.state == Campaign.State.PENDING_APPROVAL
    with pytest.raises(CampaignError) as exc:
        _approve(campaign, people["approver"])
    assert _code(exc) == "campaign.already_approved"
    campaign = _approve(campaign, people["approver2"])
    assert campaign.state == Campaign.State.APPROVED
    assert AuditEvent.objects.filter(action="campaign.approval_recorded").count() == 1


@override_settings(APPROVALS_REQUIRED=2)
def test_one_approver_cannot_count_twice_even_bypassing_the_service(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.create(campaign=campaign, approver=people["approver"], decision="approve",
                                content_hash=campaign.content_hash)


def test_an_approval_against_a_changed_campaign_is_refused(email_campaign, people):
    campaign = _submitted(email_campaign, people)
    seen = campaign.content_hash
    campaign = campaign_update(campaign=campaign, user=people["author"], throttle_per_s=20)
    campaign = _submitted(campaign, people)
    assert campaign.content_hash != seen
    with pytest.raises(CampaignError) as exc:
        campaign_approve(campaign=campaign, user=people["approver"], seen_hash=seen)
    assert _code(exc) == "campaign.stale"
    campaign = campaign_approve(campaign=campaign, user=people["approver"], seen_hash=campaign.content_hash)
    assert campaign.state == "approved"


def test_a_sender_changed_behind_the_campaigns_back_makes_approval_stale(email_campaign, people, email_sender):
    campaign = _submitted(email_campaign, people)
    email_sender.postal_address = "大阪府大阪市1-1"
    email_sender.save()
    with pytest.raises(CampaignError) as exc:
        _approve(campaign, people["approver"])
    assert _code(exc) == "campaign.stale"


@override_settings(APPROVALS_REQUIRED=2)
def test_an_edit_after_submission_voids_approvals_and_returns_to_draft(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    campaign = campaign_update(campaign=campaign, user=people["author"], name="11月請求(修正)")
    assert campaign.state == Campaign.State.DRAFT
    assert campaign.template_version is None and campaign.segment_definition is None and campaign.content_hash == ""
    assert Approval.objects.get().voided_at is not None
    event = AuditEvent.objects.get(action="campaign.updated", details__approvals_voided=1)
    assert event.details["previous_state"] == "pending_approval"
    campaign = _submitted(campaign, people)
    campaign = _approve(campaign, people["approver"])  # counts again, once, for the new content
    assert campaign.state == Campaign.State.PENDING_APPROVAL


def test_an_edit_of_an_approved_campaign_returns_it_to_draft(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    campaign = campaign_update(campaign=campaign, user=people["author"], throttle_per_s=5)
    assert campaign.state == Campaign.State.DRAFT and campaign.approved_at is None


def test_a_no_op_edit_changes_nothing(email_campaign, people):
    campaign = _submitted(email_campaign, people)
    campaign = campaign_update(campaign=campaign, user=people["author"], name=campaign.name)
    assert campaign.state == Campaign.State.PENDING_APPROVAL


def test_reject_needs_a_comment_and_leaves_an_editable_campaign(email_campaign, people):
    campaign = _submitted(email_campaign, people)
    with pytest.raises(CampaignError) as exc:
        campaign_reject(campaign=campaign, user=people["approver"], comment="  ")
    assert _code(exc) == "campaign.comment_required"
    campaign = campaign_reject(campaign=campaign, user=people["approver"], comment="金額の書式が違います")
    assert campaign.state == Campaign.State.REJECTED and campaign.status_reason == "金額の書式が違います"
    assert AuditEvent.objects.get(action="campaign.rejected").details["comment"] == "金額の書式が違います"
    assert campaign_update(campaign=campaign, user=people["author"], name="直した").state == Campaign.State.DRAFT


def test_a_rejected_campaign_can_be_submitted_again(email_campaign, people):
    campaign = campaign_reject(campaign=_submitted(email_campaign, people), user=people["approver"], comment="x")
    assert _submitted(campaign, people).state == Campaign.State.PENDING_APPROVAL


@pytest.mark.parametrize("state", ["draft", "pending_approval", "approved", "sending", "paused", "rejected"])
def test_cancel_works_from_any_state_before_completion(email_campaign, people, state):
    Campaign.objects.filter(pk=email_campaign.pk).update(state=state)
    campaign = campaign_cancel(campaign=email_campaign, user=people["author"], reason="誤配信防止")
    assert campaign.state == Campaign.State.CANCELLED and campaign.cancelled_at is not None
    assert AuditEvent.objects.get(action="campaign.cancelled").details["previous_state"] == state


@pytest.mark.parametrize("state", ["completed", "cancelled", "failed"])
def test_cancel_is_refused_after_the_end(email_campaign, people, state):
    Campaign.objects.filter(pk=email_campaign.pk).update(state=state)
    with pytest.raises(CampaignError) as exc:
        campaign_cancel(campaign=email_campaign, user=people["author"])
    assert _code(exc) == "campaign.wrong_state"


def test_pause_and_resume_only_while_sending(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    with pytest.raises(CampaignError):
        campaign_pause(campaign=campaign, user=people["author"])
    campaign = campaign_transition(campaign_id=campaign.pk, to_state="sending", actor="system:test")
    assert campaign.started_at is not None
    campaign = campaign_pause(campaign=campaign, user=people["author"], reason="苦情")
    assert campaign.state == Campaign.State.PAUSED
    campaign = campaign_resume(campaign=campaign, user=people["author"])
    assert campaign.state == Campaign.State.SENDING
    actions = list(AuditEvent.objects.filter(campaign_id=campaign.pk).values_list("action", flat=True))
    assert actions[-3:] == ["campaign.sending", "campaign.paused", "campaign.resumed"]


def test_system_transitions_follow_the_same_table(email_campaign):
    with pytest.raises(CampaignError):
        campaign_transition(campaign_id=email_campaign.pk, to_state="sending", actor="system:test")
    with pytest.raises(CampaignError):
        campaign_transition(campaign_id=email_campaign.pk, to_state="completed", actor="system:test")


def test_release_after_a_pilot(people, email_template, segment, email_sender):
    campaign = campaign_create(user=people["author"], name="p", purpose="notice", template=email_template,
                               segment=segment, sender=email_sender, pilot_percentage=10)
    campaign = _approve(_submitted(campaign, people), people["approver"])
    campaign = campaign_release(campaign=campaign, user=people["author"])
    assert campaign.pilot_released_at is not None
    with pytest.raises(CampaignError) as exc:
        campaign_release(campaign=campaign, user=people["author"])
    assert _code(exc) == "campaign.already_released"


def test_release_without_a_pilot_is_refused(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    with pytest.raises(CampaignError) as exc:
        campaign_release(campaign=campaign, user=people["author"])
    assert _code(exc) == "campaign.no_pilot"


def test_marketing_without_an_unsubscribe_link_cannot_be_submitted(people, segment, email_sender):
    from campaigns.services import template_create

    template = template_create(user=people["author"], name="m", channel="email", subject="セール", text="セール中")
    campaign = campaign_create(user=people["author"], name="m", purpose="marketing", template=template,
                               segment=segment, sender=email_sender)
    with pytest.raises(CampaignError) as exc:
        _submitted(campaign, people)
    assert _code(exc) == "campaign.preflight_failed"
    assert "marketing.opt_out_missing" in exc.value.details["errors"]
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT and campaign.template_version is None
    assert any(f["code"] == "marketing.opt_out_missing" for f in campaign.preflight)  # kept to show the author
    assert AuditEvent.objects.filter(action="campaign.submit_refused").exists()  # committed despite the refusal


def test_marketing_with_the_link_and_consent_checks_goes_through(people, make_audience, email_sender):
    from audiences.services import consent_grant
    from campaigns.services import template_create

    seg = make_audience([{"name": "A", "email": "a@example.jp"}, {"name": "B", "email": "b@example.jp"}])
    from audiences.models import Recipient

    consent_grant(recipient=Recipient.objects.get(email="a@example.jp"), channel="email", source="web form",
                  wording="メールを受け取る")
    template = template_create(user=people["author"], name="m", channel="email", subject="セール", text=MARKETING_TEXT)
    campaign = campaign_create(user=people["author"], name="m", purpose="marketing", template=template,
                               segment=seg, sender=email_sender)
    campaign = _submitted(campaign, people)
    assert campaign.preflight_summary["sendable"] == 1
    assert campaign.preflight_summary["blocked"] == {"no_consent": 1}


@pytest.mark.parametrize("window", [
    {"window_start_hour": 7}, {"window_end_hour": 22}, {"window_tz": "UTC"},
])
def test_the_collection_window_cannot_be_widened(people, sms_template, segment, sms_sender, window):
    with pytest.raises(CampaignError) as exc:
        campaign_create(user=people["author"], name="c", purpose="collection", template=sms_template,
                        segment=segment, sender=sms_sender, **window)
    assert _code(exc) == "window.collection_widened"


def test_the_collection_window_may_be_narrowed_but_not_widened_by_an_edit(sms_campaign, people):
    assert (sms_campaign.window_start_hour, sms_campaign.window_end_hour, sms_campaign.window_tz) == (
        8, 21, "Asia/Tokyo")
    campaign = campaign_update(campaign=sms_campaign, user=people["author"], window_start_hour=9, window_end_hour=18)
    assert campaign.window_end_hour == 18
    with pytest.raises(CampaignError):
        campaign_update(campaign=campaign, user=people["author"], window_end_hour=23)


def test_the_database_refuses_a_widened_collection_window_too(sms_campaign):
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=sms_campaign.pk).update(window_end_hour=23)


def test_a_marketing_campaign_may_switch_to_collection_only_inside_its_hours(email_campaign, people):
    with pytest.raises(CampaignError):
        campaign_update(campaign=email_campaign, user=people["author"], purpose="collection", window_end_hour=24)


@override_settings(CAMPAIGN_MAX_SMS_PER_S=50)
def test_the_throttle_is_capped_by_the_channel_maximum(sms_campaign, people):
    with pytest.raises(CampaignError) as exc:
        campaign_update(campaign=sms_campaign, user=people["author"], throttle_per_s=51)
    assert _code(exc) == "campaign.throttle_too_high"
    assert campaign_update(campaign=sms_campaign, user=people["author"], throttle_per_s=50).throttle_per_s == 50


def test_only_notices_carry_the_importance_label(sms_campaign, people):
    with pytest.raises(CampaignError) as exc:
        campaign_update(campaign=sms_campaign, user=people["author"], importance_label=True)
    assert _code(exc) == "campaign.label_not_notice"


def test_test_addresses_must_fit_the_channel(email_campaign, sms_campaign, people):
    with pytest.raises(CampaignError):
        campaign_update(campaign=email_campaign, user=people["author"], test_addresses="not-an-address")
    with pytest.raises(CampaignError):
        campaign_update(campaign=sms_campaign, user=people["author"], test_addresses=["090-1234-5678"])
    campaign = campaign_update(campaign=sms_campaign, user=people["author"], test_addresses="+819012345678")
    assert campaign.test_addresses == ["+819012345678"]


def test_a_template_version_never_changes_in_the_database(email_campaign, people):
    campaign = _submitted(email_campaign, people)
    version = campaign.template_version
    version.text = "差し替え"
    with pytest.raises(DatabaseError), transaction.atomic():
        version.save()


def test_editing_the_template_after_submission_makes_a_new_version_and_keeps_the_pin(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    pinned = campaign.template_version
    new = template_version_create(template=campaign.template, user=people["author"], subject="新件名", text="新本文")
    assert new.number == pinned.number + 1
    campaign.refresh_from_db()
    assert campaign.template_version == pinned and campaign.state == Campaign.State.APPROVED


def test_every_transition_is_audited_with_the_content_hash(email_campaign, people):
    campaign = _approve(_submitted(email_campaign, people), people["approver"])
    campaign = campaign_transition(campaign_id=campaign.pk, to_state="sending", actor="system:dispatch")
    campaign_cancel(campaign=campaign, user=people["author"])
    events = AuditEvent.objects.filter(campaign_id=campaign.pk, action__startswith="campaign.").order_by("id")
    assert [e.action for e in events] == ["campaign.created", "campaign.submitted", "campaign.approved",
                                          "campaign.sending", "campaign.cancelled"]
    assert {e.details["content_hash"] for e in events[1:]} == {campaign.content_hash}
