"""Creating and editing campaigns. An edit after submission voids the approvals and returns to draft."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audiences.models.choices import Channel, Purpose

from ..models import Campaign, Sender, Template
from ..window import WindowError, validate_collection_window
from ._audit import record_campaign
from .errors import CampaignError

EDITABLE_FIELDS = (
    "name", "purpose", "channel", "template", "segment", "exclusion_list", "sender", "send_at",
    "window_start_hour", "window_end_hour", "window_weekdays", "window_tz", "throttle_per_s", "importance_label",
    "test_addresses", "pilot_percentage",
)
# States in which an edit is accepted; from pending_approval or approved it voids approvals.
EDIT_STATES = (Campaign.State.DRAFT, Campaign.State.REJECTED, Campaign.State.PENDING_APPROVAL,
               Campaign.State.APPROVED)
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def max_throttle(channel: str) -> int:
    """The highest messages/second a campaign may ask for: our per-channel cap, and the shared channel
    throttle when one is configured."""
    cap = settings.CAMPAIGN_MAX_EMAIL_PER_S if channel == Channel.EMAIL else settings.CAMPAIGN_MAX_SMS_PER_S
    shared = getattr(settings, "EMAIL_RATE_PER_S" if channel == Channel.EMAIL else "SMS_RATE_PER_S", 0)
    return min(cap, shared) if shared else cap


def _bad(code: str, message: str, field: str) -> CampaignError:
    return CampaignError(code, message, status=400, field=field)


def validate_campaign(campaign: Campaign) -> None:
    """Every rule on a campaign's settings; raises ``CampaignError`` (status 400) naming the field."""
    if not (campaign.name or "").strip():
        raise _bad("campaign.name_required", _("A campaign needs a name."), "name")
    if campaign.purpose not in Purpose.values:
        raise _bad("campaign.bad_purpose", _("Unknown purpose."), "purpose")
    if campaign.channel not in Channel.values:
        raise _bad("campaign.bad_channel", _("Unknown channel."), "channel")
    if campaign.template_id is None:
        raise _bad("campaign.template_required", _("Choose a template."), "template")
    if campaign.template.channel != campaign.channel:
        raise _bad("campaign.channel_mismatch", _("The template is for another channel."), "template")
    if campaign.sender_id is not None:
        sender = campaign.sender
        if sender.channel != campaign.channel or not sender.active:
            raise _bad("campaign.bad_sender", _("Choose an active sender for this channel."), "sender")
    try:
        window = campaign.window
        if campaign.purpose == Purpose.COLLECTION:
            validate_collection_window(window)
    except WindowError as exc:
        raise _bad(exc.code, str(exc), "window_start_hour")
    limit = max_throttle(campaign.channel)
    if not 1 <= campaign.throttle_per_s <= limit:
        raise _bad("campaign.throttle_too_high",
                   _("The throttle must be between 1 and %(limit)s messages per second.") % {"limit": limit},
                   "throttle_per_s")
    if campaign.importance_label and campaign.purpose != Purpose.NOTICE:
        raise _bad("campaign.label_not_notice", _("Only notices carry the 【重要】 label."), "importance_label")
    if not 0 <= campaign.pilot_percentage <= 99:
        raise _bad("campaign.bad_pilot", _("The pilot percentage must be between 0 and 99."), "pilot_percentage")
    _validate_test_addresses(campaign)


def _validate_test_addresses(campaign: Campaign) -> None:
    if not isinstance(campaign.test_addresses, list):
        raise _bad("campaign.bad_test_address", _("The test group must be a list."), "test_addresses")
    for address in campaign.test_addresses:
        if campaign.channel == Channel.EMAIL:
            try:
                validate_email(address)
            except ValidationError:
                raise _bad("campaign.bad_test_address",
                           _("Not an email address: %(address)s") % {"address": address}, "test_addresses")
        elif not _E164.match(str(address)):
            raise _bad("campaign.bad_test_address",
                       _("Not a phone number in +81… form: %(address)s") % {"address": address}, "test_addresses")


def _normalise(changes: dict) -> dict:
    if "test_addresses" in changes:
        raw = changes["test_addresses"]
        if isinstance(raw, str):
            raw = re.split(r"[\s,;]+", raw)
        changes["test_addresses"] = [a.strip() for a in raw if a and a.strip()]
    if "window_weekdays" in changes:
        changes["window_weekdays"] = sorted({int(d) for d in changes["window_weekdays"]})
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    return changes


@transaction.atomic
def campaign_create(*, user, request=None, **fields) -> Campaign:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise CampaignError("campaign.unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}", status=400)
    fields = _normalise(fields)
    template = fields.get("template")
    if isinstance(template, Template) and "channel" not in fields:
        fields["channel"] = template.channel
    campaign = Campaign(created_by=user, updated_by=user, **fields)
    validate_campaign(campaign)
    campaign.save()
    record_campaign("campaign.created", campaign, user=user, request=request, fields=sorted(fields))
    return campaign


def _void_approvals(campaign: Campaign, *, now) -> int:
    return campaign.approvals.filter(voided_at__isnull=True).update(voided_at=now)


@transaction.atomic
def campaign_update(*, campaign: Campaign, user, request=None, **changes) -> Campaign:
    """Apply ``changes``. After submission this voids the approvals, unpins, and returns to draft."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise CampaignError("campaign.unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}", status=400)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state not in EDIT_STATES:
        state = campaign.get_state_display()
        message = _("A campaign that is %(state)s cannot be edited.") % {"state": state}
        raise CampaignError("campaign.not_editable", message)
    changes = _normalise(changes)
    changed = sorted(name for name, value in changes.items() if _current(campaign, name) != _key(value))
    if not changed:
        return campaign
    for name, value in changes.items():
        setattr(campaign, name, value)
    validate_campaign(campaign)
    now = timezone.now()
    old_state, old_hash = campaign.state, campaign.content_hash
    voided = 0
    if old_state != Campaign.State.DRAFT:
        voided = _void_approvals(campaign, now=now)
        campaign.state, campaign.state_changed_at = Campaign.State.DRAFT, now
        campaign.template_version = None
        campaign.segment_definition = None
        campaign.content_hash = ""
        campaign.submitted_at = campaign.approved_at = None
    campaign.updated_by, campaign.updated_at = user, now
    campaign.save()
    record_campaign("campaign.updated", campaign, user=user, request=request, fields=changed,
                    previous_state=old_state, previous_content_hash=old_hash, approvals_voided=voided)
    return campaign


def _key(value):
    return value.pk if hasattr(value, "pk") else value


def _current(campaign: Campaign, name: str):
    field = Campaign._meta.get_field(name)
    if field.is_relation:
        return getattr(campaign, field.attname)
    return getattr(campaign, name)


def active_senders(channel: str):
    return Sender.objects.filter(channel=channel, active=True)
