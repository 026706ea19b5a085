"""Test send: the campaign's message, with a real recipient's merge fields, to the internal test group.

Recorded (``TestSend``, audit event with the content hash) and shown to approvers, who can see whether
exactly the content they are signing was tested. Sent through the channel's configured adapter.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audiences.models import Recipient

from ..hashing import content_hash
from ..messages import render_message, spec_for
from ..models import Campaign, TestSend
from ..rendering import RenderError
from ..selectors import campaign_audience
from ._audit import record_campaign
from .errors import CampaignError

TEST_PREFIX = "[TEST] "
TEST_STATES = (Campaign.State.DRAFT, Campaign.State.REJECTED, Campaign.State.PENDING_APPROVAL)


def _sample_recipient(campaign: Campaign) -> Recipient | None:
    return campaign_audience(campaign).first()


def _outgoing(campaign: Campaign, test_send: TestSend, parts: dict[str, str]):
    from channels.adapters import OutgoingMessage

    sender = campaign.sender
    if campaign.channel == "email":
        from_ = f"{sender.name} <{sender.from_email}>" if sender and sender.from_email else ""
        return [OutgoingMessage(message_id=f"test-{test_send.pk}-{i}", channel="email", to=address, from_=from_,
                                subject=TEST_PREFIX + parts.get("subject", ""), text=parts.get("text", ""),
                                html=parts.get("html", ""))
                for i, address in enumerate(test_send.addresses)]
    from_ = sender.sms_sender_id if sender else ""
    return [OutgoingMessage(message_id=f"test-{test_send.pk}-{i}", channel="sms", to=address, from_=from_,
                            text=parts.get("body", ""))
            for i, address in enumerate(test_send.addresses)]


def campaign_test_send(*, campaign: Campaign, user, request=None) -> TestSend:
    campaign = Campaign.objects.select_related("template", "sender", "segment").get(pk=campaign.pk)
    if campaign.state not in TEST_STATES:
        raise CampaignError("campaign.wrong_state", _("Test sends are for campaigns not yet approved."))
    if not campaign.test_addresses:
        raise CampaignError("campaign.no_test_addresses", _("Add test group addresses first."), status=400,
                            field="test_addresses")
    version = campaign.version_for_preview
    if version is None:
        raise CampaignError("campaign.template_required", _("The template has no version."), status=400)
    sample = _sample_recipient(campaign)
    if sample is None:
        raise CampaignError("campaign.test_send_no_recipient",
                            _("The audience is empty: there is no recipient whose merge fields could be used."))
    try:
        parts = render_message(version, spec_for(campaign), sample)
    except RenderError as exc:
        raise CampaignError(exc.code, _("The template cannot be rendered: %(detail)s") % {"detail": exc.message})
    digest = campaign.content_hash or content_hash(campaign)
    with transaction.atomic():
        test_send = TestSend.objects.create(
            campaign=campaign, requested_by=user, content_hash=digest, template_version=version,
            addresses=list(campaign.test_addresses), sample_recipient_id=sample.pk, rendered=parts,
        )
    results = _send(campaign, test_send, parts)
    test_send.results = results
    test_send.status = TestSend.Status.SENT if all(r["ok"] for r in results) else TestSend.Status.FAILED
    test_send.save(update_fields=["results", "status"])
    record_campaign("campaign.test_sent", campaign, user=user, request=request, outcome=test_send.status,
                    test_send_id=test_send.pk, tested_hash=digest, addresses=test_send.addresses,
                    template_version_id=version.pk, sample_recipient_id=sample.pk)
    return test_send


def _send(campaign: Campaign, test_send: TestSend, parts: dict[str, str]) -> list[dict]:
    from channels.adapters import get_adapter

    messages = _outgoing(campaign, test_send, parts)
    with get_adapter(campaign.channel) as adapter:
        sent = adapter.send_many(messages)
    return [{"to": m.to, "ok": r.ok, "provider_id": r.provider_id, "error_code": r.error_code,
             "error": r.error_message} for m, r in zip(messages, sent, strict=True)]
