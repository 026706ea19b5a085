"""From claimed delivery rows to the adapter's ``OutgoingMessage``s.

The campaign's template is compiled once per batch (``compile_message`` is cached by content) and
rendered per recipient with exactly what preview and test send use (``campaigns.messages``: the
context, the 【重要】 label, the 特定電子メール法 footer). The delivery id travels as the message id
(Message-ID / Twilio callback ``mid``). Marketing and notice emails carry ``List-Unsubscribe`` (https,
and mailto when configured) and, over https, the RFC 8058 one-click header.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import reverse

from audiences.unsubscribe import make_token
from channels.adapters import OutgoingMessage
from channels.throttle import Bucket, channel_bucket

from ..messages import MessageSpec, decorate, spec_for
from ..models import Campaign
from ..rendering import CompiledMessage, RenderError, compile_message, recipient_context
from . import message_id_for

LIST_UNSUBSCRIBE_PURPOSES = ("marketing", "notice")
ROW_FIELDS = ("id", "recipient_id", "address", "attempts", "recipient__name", "recipient__email",
              "recipient__email_normalized", "recipient__phone", "recipient__external_id", "recipient__attributes")


@dataclass(frozen=True)
class SendPlan:
    """Everything a batch needs about its campaign, computed once."""

    campaign: Campaign
    compiled: CompiledMessage
    spec: MessageSpec
    from_: str
    list_unsubscribe: bool
    buckets: tuple[Bucket | None, ...]

    @classmethod
    def for_campaign(cls, campaign: Campaign) -> SendPlan:
        """Raises ``RenderError`` when the pinned template does not compile (the campaign cannot send)."""
        compiled = compile_message(campaign.template_version.source())
        sender = campaign.sender
        if campaign.channel == "email":
            from_ = f"{sender.name} <{sender.from_email}>" if sender and sender.from_email else ""
        else:
            from_ = sender.sms_sender_id if sender else ""
        rate = campaign.throttle_per_s  # 0 (only settable outside the UI, e.g. by the benchmark): no campaign bucket
        # The start time in the key: the throttle store (Redis) can outlive a database whose ids start again.
        key = f"campaign:{campaign.pk}:{campaign.started_at.timestamp() if campaign.started_at else 0:.6f}"
        # A quarter of a second's worth at once: the campaign's rate stays smooth (carriers dislike bursts),
        # and over any stretch of time what leaves is the rate the approver signed.
        campaign_bucket = Bucket(key, rate, burst=max(1, math.ceil(rate / 4))) if rate else None
        return cls(
            campaign=campaign,
            compiled=compiled,
            spec=spec_for(campaign),
            from_=from_,
            list_unsubscribe=campaign.channel == "email" and campaign.purpose in LIST_UNSUBSCRIBE_PURPOSES,
            buckets=(channel_bucket(campaign.channel), campaign_bucket),
        )


@lru_cache(maxsize=8)
def _unsubscribe_pattern(channel: str, base: str) -> tuple[str, str]:
    marker = "TOKENMARKER"
    url = base.rstrip("/") + reverse("audiences:unsubscribe", kwargs={"token": marker})
    head, _, tail = url.partition(marker)
    return head, tail


def unsubscribe_link(recipient_id: int, channel: str) -> str:
    """``audiences.unsubscribe.unsubscribe_url`` without a URL reverse per message."""
    head, tail = _unsubscribe_pattern(channel, settings.PUBLIC_BASE_URL)
    return head + make_token(recipient_id, channel) + tail


def _recipient(row: dict) -> dict:
    return {
        "id": row["recipient_id"],
        "name": row["recipient__name"],
        "email": row["recipient__email"],
        "phone": row["recipient__phone"],
        "external_id": row["recipient__external_id"],
        "attributes": row["recipient__attributes"] or {},
    }


def build(plan: SendPlan, row: dict) -> OutgoingMessage:
    """The message for one claimed row; raises ``RenderError`` for this recipient's data."""
    channel = plan.spec.channel
    link = ""
    if plan.compiled.uses_unsubscribe or plan.list_unsubscribe:
        link = unsubscribe_link(row["recipient_id"], channel)
    # As campaigns.messages.context_for, with the link computed here (no URL reverse per message).
    context = recipient_context(_recipient(row), sender=plan.spec.sender,
                                unsubscribe_url=link if plan.compiled.uses_unsubscribe else "")
    parts = decorate(plan.compiled.render(context), plan.spec)
    message_id = message_id_for(row["id"])
    if channel == "email":
        mailto = ""
        if plan.list_unsubscribe and settings.EMAIL_UNSUBSCRIBE_MAILTO:
            mailto = f"mailto:{settings.EMAIL_UNSUBSCRIBE_MAILTO}?subject=unsubscribe-{message_id}"
        return OutgoingMessage(
            message_id=message_id, channel="email", to=row["address"], from_=plan.from_,
            subject=parts.get("subject", ""), text=parts.get("text", ""), html=parts.get("html", ""),
            list_unsubscribe_url=link if plan.list_unsubscribe else "", list_unsubscribe_mailto=mailto,
        )
    return OutgoingMessage(message_id=message_id, channel="sms", to=row["address"], from_=plan.from_,
                           text=parts.get("body", ""))


Built = list[tuple[dict, OutgoingMessage]]
Broken = list[tuple[dict, RenderError]]


def build_all(plan: SendPlan, rows: list[dict]) -> tuple[Built, Broken]:
    """Messages for the rows that render, and the render error of each row that does not."""
    ready, broken = [], []
    for row in rows:
        try:
            ready.append((row, build(plan, row)))
        except RenderError as exc:
            broken.append((row, exc))
    return ready, broken
