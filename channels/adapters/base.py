"""The adapter interface: what dispatch hands a provider and what it gets back.

Adapters are small and dumb (see ../shared/STYLE.md): no ORM, no retries, no decisions about who
gets a message. They send what they are given and report per message. Errors are values, never
exceptions: a batch of 200 where one address is refused yields 199 ``ok`` results and one failure
that says whether trying again could help (``permanent``) and whether the address should be
suppressed (``suppression``). The caller (campaigns' dispatch task) owns retries and state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

try:  # Celery's soft time limit (celery.exceptions.SoftTimeLimitExceeded subclasses billiard's)
    from billiard.exceptions import SoftTimeLimitExceeded
except ImportError:  # pragma: no cover - billiard comes with Celery
    class SoftTimeLimitExceeded(Exception):  # noqa: N818
        pass

# Exceptions that are not a message's problem but the task's: they must reach the task so it stops
# cleanly. Turning a soft time limit into a transient error would mark a message that may have left as
# "retry later" and send it twice; propagated, the batch's rows go back through their lease instead.
STOP_EXCEPTIONS: tuple[type[BaseException], ...] = (SoftTimeLimitExceeded,)

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)

# Suppression reasons, in audiences' vocabulary (SuppressionReason values), so dispatch can pass them on.
SUPPRESS_OPT_OUT = "opt_out"
SUPPRESS_HARD_BOUNCE = "hard_bounce"
SUPPRESS_COMPLAINT = "complaint"


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one address, fully rendered. ``message_id`` is the delivery id: it travels as the
    email's Message-ID and in the SMS status-callback URL, so a resend after a crash is recognisable."""

    message_id: str
    channel: str  # "email" or "sms"
    to: str  # an email address, or an E.164 phone number
    text: str = ""
    from_: str = ""  # empty: the adapter's configured sender (DEFAULT_FROM_EMAIL / TWILIO_FROM)
    subject: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict, hash=False)
    list_unsubscribe_url: str = ""  # https one-click URL (RFC 8058); marketing and notices
    list_unsubscribe_mailto: str = ""  # mailto: address for List-Unsubscribe
    bounce_address: str = ""  # envelope sender; empty: VERP from EMAIL_BOUNCE_ADDRESS, else from_


@dataclass(frozen=True)
class SendResult:
    message_id: str
    ok: bool
    provider_id: str = ""  # the provider's id (Twilio MessageSid, the SMTP queue id if reported)
    error_code: str = ""  # stable: "smtp.5.1.1", "smtp.421", "twilio.21211", "http.503", "network.timeout"
    error_message: str = ""
    permanent: bool = False  # True: retrying cannot help; False with ok=False: retry later
    retry_after: float | None = None  # seconds the provider asked us to wait (429 Retry-After)
    suppression: str = ""  # non-empty: add this suppression for the address (opt_out, hard_bounce)
    details: dict = field(default_factory=dict, hash=False)

    @property
    def transient(self) -> bool:
        return not self.ok and not self.permanent

    @classmethod
    def sent(cls, message: OutgoingMessage, provider_id: str = "", **details) -> SendResult:
        return cls(message_id=message.message_id, ok=True, provider_id=provider_id, details=details)

    @classmethod
    def failed(
        cls,
        message: OutgoingMessage,
        code: str,
        text: str = "",
        *,
        permanent: bool,
        retry_after: float | None = None,
        suppression: str = "",
        **details,
    ) -> SendResult:
        return cls(
            message_id=message.message_id,
            ok=False,
            error_code=code,
            error_message=text,
            permanent=permanent,
            retry_after=retry_after,
            suppression=suppression,
            details=details,
        )


class Adapter:
    """Base class. Subclasses implement ``_send_one`` (or ``send_many`` for real batching) and may
    override ``open``/``close`` to hold a connection for the length of a batch.

    Usage (an adapter is also a context manager)::

        with get_adapter("email") as adapter:
            results = adapter.send_many(messages)   # same order as messages
    """

    channel: str = ""
    name: str = ""  # registry key, e.g. "smtp"

    @classmethod
    def from_settings(cls, channel: str) -> Adapter:
        return cls()

    def open(self) -> None:
        """Acquire what a batch reuses (an SMTP session, an HTTP keep-alive connection)."""

    def close(self) -> None:
        """Release it. Safe to call twice, and after a failed ``open``."""

    def __enter__(self) -> Adapter:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """One result per message, in order. Never raises for a per-message problem; a Celery soft time
        limit (``STOP_EXCEPTIONS``) does propagate."""
        results = []
        for message in messages:
            try:
                results.append(self._send_one(message))
            except STOP_EXCEPTIONS:
                raise
            except Exception as exc:  # a bug or an unforeseen provider answer must not lose the batch
                results.append(SendResult.failed(message, "adapter.error", repr(exc), permanent=False))
        return results

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        raise NotImplementedError
