"""Applying what providers tell us afterwards: the handler ``channels`` hands verified inbound events to.

    DeliveryReceipt  sent → delivered, or → failed with the provider's code (21610: opt-out suppression);
                     an intermediate "queued/sent" for a row still pending or sending proves the provider
                     has it: the row becomes sent (after a crash it is not sent again)
    Bounce           hard (5.x.x): → bounced, and a hard_bounce suppression when it is about the address;
                     soft (4.x.x): noted on the row; the Nth within 30 days suppresses (SOFT_BOUNCE_SUPPRESS_AFTER)
    Complaint        complaint suppression, the campaign's complaint counter, the complaint-rate guard
    OptOut / OptIn   STOP / 停止 / 配信停止 add an SMS opt-out; START lifts it
    InboundReply     kept in the audit log

Every event writes an audit event; a repeated event (providers retry webhooks) changes nothing.
Registered in ``CampaignsConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audiences.models import Suppression
from audiences.normalize import normalize_address
from audiences.services import SuppressionInputError, suppression_add, suppression_remove
from audit.models import AuditEvent
from audit.services import record
from channels.inbound import Bounce, Complaint, DeliveryReceipt, InboundReply, OptIn, OptOut

from .dispatch import delivery_id_from
from .dispatch.complaints import complaint_guard
from .models import Campaign, Delivery

logger = logging.getLogger(__name__)
ACTOR = "system:receipts"
D = Delivery.Status
SOFT_BOUNCE_WINDOW = dt.timedelta(days=30)


def _find(message_id: str, provider_id: str = "") -> Delivery | None:
    rows = Delivery.objects.select_for_update()
    delivery_id = delivery_id_from(message_id)
    if delivery_id is not None:
        return rows.filter(pk=delivery_id).first()
    if provider_id:
        return rows.filter(provider_id=provider_id).order_by("-id").first()
    return None


def _audit(action: str, delivery: Delivery | None, *, channel: str, address: str, outcome: str, **details) -> None:
    fields = {"channel": channel, "address": address, "outcome": outcome, "details": details}
    if delivery is not None:
        fields.update(object_type="campaigns.delivery", object_id=str(delivery.pk), campaign_id=delivery.campaign_id,
                      recipient_id=delivery.recipient_id)
    record(action=action, actor=ACTOR, **fields)


def _move(delivery: Delivery, status: str, **fields) -> None:
    for name, value in {"status": status, "updated_at": timezone.now(), **fields}.items():
        setattr(delivery, name, value)
    delivery.save(update_fields=["status", "updated_at", *fields])


def _suppress(channel: str, address: str, reason: str, source: str) -> bool:
    try:
        return suppression_add(channel=channel, address=address, reason=reason, source=source, actor=ACTOR).created_now
    except SuppressionInputError:
        logger.warning("receipt for an address that does not validate: %r", address)
        return False


@transaction.atomic
def apply_receipt(event: DeliveryReceipt) -> None:
    delivery = _find(event.message_id, event.provider_id)
    if delivery is None:
        logger.info("receipt for an unknown message %r / %r", event.message_id, event.provider_id)
        return
    provider_id = event.provider_id or delivery.provider_id
    if not event.final:
        if delivery.status in (D.PENDING, D.SENDING):  # the provider has it: never send it again
            _move(delivery, D.SENT, provider_id=provider_id, sent_at=delivery.sent_at or timezone.now(),
                  lease_until=None)
            _audit("receipt.accepted", delivery, channel=event.channel, address=delivery.address, outcome=D.SENT,
                   provider_status=event.status, provider_id=provider_id)
        return
    if event.status == "delivered":
        if delivery.status not in (D.PENDING, D.SENDING, D.SENT):
            return  # already final: a repeated or late receipt
        _move(delivery, D.DELIVERED, provider_id=provider_id, sent_at=delivery.sent_at or timezone.now(),
              lease_until=None)
        _audit("receipt.delivered", delivery, channel=event.channel, address=delivery.address, outcome=D.DELIVERED,
               provider_id=provider_id)
        return
    if delivery.status not in (D.PENDING, D.SENDING, D.SENT, D.DELIVERED):
        return
    _move(delivery, D.FAILED, provider_id=provider_id, error_code=event.error_code or f"provider.{event.status}",
          error_message=event.error_message[:1000], lease_until=None)
    _audit("receipt.failed", delivery, channel=event.channel, address=delivery.address, outcome=D.FAILED,
           provider_status=event.status, error_code=event.error_code, category=event.category)
    if event.suppression:
        _suppress(event.channel, delivery.address, event.suppression, f"receipt:{event.error_code}")


def _soft_bounces(address: str) -> int:
    since = timezone.now() - SOFT_BOUNCE_WINDOW
    return AuditEvent.objects.filter(address=address, at__gte=since, action="receipt.bounced",
                                     outcome="soft").count()


@transaction.atomic
def apply_bounce(event: Bounce) -> None:
    delivery = _find(event.message_id)
    address = normalize_address("email", event.address or (delivery.address if delivery else "")) or event.address
    if delivery is not None and delivery.status in (D.BOUNCED, D.FAILED) and delivery.error_code == event.error_code:
        return  # the same bounce again
    if event.kind == "hard" and delivery is not None and delivery.status != D.SKIPPED:
        _move(delivery, D.BOUNCED, error_code=event.error_code, error_message=event.diagnostic[:1000],
              lease_until=None)
    elif delivery is not None and delivery.status != D.SKIPPED:
        Delivery.objects.filter(pk=delivery.pk).update(error_code=event.error_code,
                                                       error_message=event.diagnostic[:1000])
    _audit("receipt.bounced", delivery, channel="email", address=address, outcome=event.kind, status=event.status,
           diagnostic=event.diagnostic[:300])
    if event.kind == "hard" and event.suppression:
        _suppress("email", address, event.suppression, f"bounce:{event.status}")
    elif event.kind == "soft" and _soft_bounces(address) >= settings.SOFT_BOUNCE_SUPPRESS_AFTER:
        _suppress("email", address, "hard_bounce", f"soft_bounces:{settings.SOFT_BOUNCE_SUPPRESS_AFTER}")


def apply_complaint(event: Complaint) -> None:
    with transaction.atomic():
        delivery = _find(event.message_id)
        if delivery is not None and AuditEvent.objects.filter(action="receipt.complaint",
                                                              object_id=str(delivery.pk)).exists():
            return  # the same complaint again
        address = event.address or (delivery.address if delivery else "")
        _audit("receipt.complaint", delivery, channel=event.channel, address=address, outcome="complaint",
               feedback_type=event.feedback_type)
        if address:
            _suppress(event.channel, address, event.suppression, f"complaint:{event.feedback_type}")
        if delivery is None:
            return
        Campaign.objects.filter(pk=delivery.campaign_id).update(count_complaints=F("count_complaints") + 1)
        campaign_id = delivery.campaign_id
    complaint_guard(campaign_id=campaign_id)


@transaction.atomic
def apply_opt_out(event: OptOut) -> None:
    added = _suppress(event.channel, event.address, "opt_out", f"reply:{event.keyword}")
    _audit("inbound.opt_out", None, channel=event.channel, address=event.address, outcome="added" if added else "kept",
           keyword=event.keyword, provider_id=event.provider_id)


@transaction.atomic
def apply_opt_in(event: OptIn) -> None:
    address = normalize_address(event.channel, event.address) or event.address
    lifted = list(Suppression.objects.filter(channel=event.channel, address=address, reason="opt_out"))
    for suppression in lifted:
        suppression_remove(suppression=suppression, actor=ACTOR, note=f"inbound {event.keyword}")
    _audit("inbound.opt_in", None, channel=event.channel, address=address, outcome="lifted" if lifted else "none",
           keyword=event.keyword, provider_id=event.provider_id)


def apply_reply(event: InboundReply) -> None:
    _audit("inbound.reply", None, channel=event.channel, address=event.address, outcome="kept",
           text=event.text[:500], provider_id=event.provider_id)


HANDLERS = {DeliveryReceipt: apply_receipt, Bounce: apply_bounce, Complaint: apply_complaint,
            OptOut: apply_opt_out, OptIn: apply_opt_in, InboundReply: apply_reply}


def apply_inbound_event(event) -> None:
    """The handler registered with ``channels.inbound``: one verified, parsed event."""
    handler = HANDLERS.get(type(event))
    if handler is None:
        logger.warning("no receipt handler for %s", type(event).__name__)
        return
    handler(event)
