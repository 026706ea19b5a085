"""Plain event objects that inbound provider callbacks are parsed into. ``campaigns`` applies them."""

from __future__ import annotations

from dataclasses import dataclass, field

FINAL_STATUSES = ("delivered", "failed", "undelivered", "bounced")


@dataclass(frozen=True)
class DeliveryReceipt:
    """A provider's word on one message: ``status`` is delivered / failed / undelivered, or an
    intermediate one (queued, sending, sent) that ``final`` tells apart."""

    channel: str
    message_id: str  # our delivery id ("" if the provider did not carry it back)
    provider_id: str
    status: str
    error_code: str = ""  # "twilio.30007", "smtp.5.1.1"
    error_message: str = ""
    permanent: bool = False
    suppression: str = ""  # e.g. "opt_out" for Twilio 21610
    category: str = ""  # e.g. "carrier_filtered", counted on the monitor page
    raw: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class Bounce:
    """An email that came back. ``kind`` by RFC 3463 class: "hard" (5.x.x) or "soft" (4.x.x)."""

    message_id: str
    address: str
    kind: str
    status: str  # "5.1.1"
    diagnostic: str = ""
    suppression: str = ""  # "hard_bounce" when the failure is about the address (X.1.X / X.2.X)
    channel: str = "email"

    @property
    def error_code(self) -> str:
        return f"smtp.{self.status}" if self.status else "smtp.bounce"

    @classmethod
    def from_status(cls, *, message_id: str, address: str, status) -> Bounce:
        """A bounce from a parsed RFC 3463 status (``channels.mail.status.parse_enhanced``)."""
        return cls(
            message_id=message_id,
            address=address,
            kind=status.bounce_class,
            status=status.enhanced,
            diagnostic=status.text[:500],
            suppression=status.suppression,
        )


@dataclass(frozen=True)
class Complaint:
    """The recipient marked the message as spam (an ARF feedback report / provider complaint)."""

    message_id: str
    address: str
    feedback_type: str = "abuse"
    channel: str = "email"
    suppression: str = "complaint"


@dataclass(frozen=True)
class OptOut:
    """An inbound STOP / 停止 / 配信停止 reply: stop sending on ``channel`` to ``address``."""

    channel: str
    address: str  # the phone number that replied, E.164
    keyword: str
    provider_id: str = ""


@dataclass(frozen=True)
class OptIn:
    """An inbound START reply: the opt-out for ``address`` on ``channel`` is lifted."""

    channel: str
    address: str
    keyword: str
    provider_id: str = ""


@dataclass(frozen=True)
class InboundReply:
    """Any other inbound message (kept for the record; no action implied)."""

    channel: str
    address: str
    text: str
    provider_id: str = ""


Event = DeliveryReceipt | Bounce | Complaint | OptOut | OptIn | InboundReply
