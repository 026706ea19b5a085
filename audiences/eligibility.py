"""The one place that decides whether a message may go to a recipient.

``annotate_block_reason`` works on a whole audience in one query (``Exists`` subqueries, no per-row
Python), so preflight and materialisation stay fast at 10^6 recipients. ``send_block_reason`` is the
same decision for one recipient at send time; a test proves the two agree.

Block reasons, checked in this order (the first that applies wins):
  ``excluded``              the recipient's external id is on the campaign's exclusion list
  ``no_contact``            no e-mail address (channel email) / no phone number (channel sms)
  ``not_mobile``            sms to a number that is not a mobile
  ``suppressed.<reason>``   an unexpired suppression for the address on that channel or on all
                            channels; reasons are tried in ``SUPPRESSION_PRECEDENCE`` order
  ``no_consent``            marketing without an unrevoked consent for that channel

Which suppressions block which purpose:
  marketing               every reason
  collection              every reason: a dunning message to someone who opted out or is on legal
                          hold is exactly the mis-send finance fears; collection is not "important
                          notice" under 特定電子メール法, so we choose the strict side
  transactional, notice   every reason except ``opt_out`` (a marketing opt-out does not stop a
                          legally required notice), never bypassing hard_bounce, complaint,
                          legal_hold, do_not_contact or manual
"""

from __future__ import annotations

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from .models import Consent, ExclusionEntry, Recipient, Suppression
from .models.choices import Channel, PhoneType, Purpose, SuppressionReason

SUPPRESSION_PRECEDENCE = (
    SuppressionReason.LEGAL_HOLD,
    SuppressionReason.DO_NOT_CONTACT,
    SuppressionReason.HARD_BOUNCE,
    SuppressionReason.COMPLAINT,
    SuppressionReason.OPT_OUT,
    SuppressionReason.MANUAL,
)
BYPASSABLE_BY = {
    Purpose.TRANSACTIONAL: {SuppressionReason.OPT_OUT},
    Purpose.NOTICE: {SuppressionReason.OPT_OUT},
    Purpose.COLLECTION: set(),
    Purpose.MARKETING: set(),
}
CONSENT_REQUIRED = {Purpose.MARKETING}


def _check(channel: str, purpose: str) -> None:
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")


def blocking_reasons(purpose: str) -> list[str]:
    """The suppression reasons that block ``purpose``, in precedence order."""
    bypass = BYPASSABLE_BY[Purpose(purpose)]
    return [str(reason) for reason in SUPPRESSION_PRECEDENCE if reason not in bypass]


def _active_suppressions(channel: str, now):
    return Suppression.objects.filter(channel__in=[channel, "all"]).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def annotate_block_reason(
    queryset: QuerySet, *, channel: str, purpose: str, exclusion_list_id: int | None = None
) -> QuerySet:
    """Annotate each recipient of ``queryset`` with ``block_reason`` (None = may be sent)."""
    _check(channel, purpose)
    now = timezone.now()
    address_field = "email_normalized" if channel == Channel.EMAIL else "phone"
    whens = []
    if exclusion_list_id is not None:
        excluded = ExclusionEntry.objects.filter(
            exclusion_list_id=exclusion_list_id, external_id=OuterRef("external_id")
        )
        whens.append(When(Exists(excluded), then=Value("excluded")))
    whens.append(When(**{address_field: ""}, then=Value("no_contact")))
    if channel == Channel.SMS:
        whens.append(When(~Q(phone_type=PhoneType.MOBILE), then=Value("not_mobile")))
    active = _active_suppressions(channel, now)
    for reason in blocking_reasons(purpose):
        hit = active.filter(reason=reason, address=OuterRef(address_field))
        whens.append(When(Exists(hit), then=Value(f"suppressed.{reason}")))
    if purpose in CONSENT_REQUIRED:
        consent = Consent.objects.filter(
            recipient_id=OuterRef("pk"), channel=channel, revoked_at__isnull=True, granted_at__lte=now
        )
        whens.append(When(~Exists(consent), then=Value("no_consent")))
    return queryset.annotate(block_reason=Case(*whens, default=Value(None), output_field=CharField()))


def address_block_reason(*, channel: str, address: str, purpose: str) -> str | None:
    """``suppressed.<reason>`` when an active suppression blocks ``address`` for ``purpose``, else None.

    ``address`` must already be normalised (lower-cased e-mail, E.164 phone).
    """
    _check(channel, purpose)
    if not address:
        return "no_contact"
    found = set(
        _active_suppressions(channel, timezone.now()).filter(address=address).values_list("reason", flat=True)
    )
    for reason in blocking_reasons(purpose):
        if reason in found:
            return f"suppressed.{reason}"
    return None


def send_block_reason(
    *, recipient: Recipient, channel: str, purpose: str, exclusion_list_id: int | None = None
) -> str | None:
    """The block reason for one recipient, as ``annotate_block_reason`` would give it."""
    _check(channel, purpose)
    if exclusion_list_id is not None and ExclusionEntry.objects.filter(
        exclusion_list_id=exclusion_list_id, external_id=recipient.external_id
    ).exists():
        return "excluded"
    address = recipient.email_normalized if channel == Channel.EMAIL else recipient.phone
    if not address:
        return "no_contact"
    if channel == Channel.SMS and recipient.phone_type != PhoneType.MOBILE:
        return "not_mobile"
    suppressed = address_block_reason(channel=channel, address=address, purpose=purpose)
    if suppressed:
        return suppressed
    if purpose in CONSENT_REQUIRED and not Consent.objects.filter(
        recipient_id=recipient.pk, channel=channel, revoked_at__isnull=True, granted_at__lte=timezone.now()
    ).exists():
        return "no_consent"
    return None
