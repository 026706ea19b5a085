"""Turning what an auditor types for "recipient" into what the audit table holds.

An event carries ``recipient_id`` and the ``address`` as sent, not the customer number, so a search by
external id (or by an address written another way) needs the recipients table. ``audit`` depends on no
app of ours, so it looks the model up lazily through the app registry and reads three columns; where
``audiences`` is not installed the search still matches the address as typed.
"""

from __future__ import annotations

import unicodedata

from django.apps import apps
from django.conf import settings
from django.db.models import Q

_MAX_IDS = 1000


def address_forms(term: str) -> list[str]:
    """The ways ``term`` may have been stored as an address: as typed, lower-cased e-mail, E.164 phone."""
    forms = {term}
    folded = unicodedata.normalize("NFKC", term).strip()
    forms.add(folded)
    if "@" in folded:
        forms.add(folded.lower())
    else:
        forms.update(_phone_forms(folded))
    return sorted(f for f in forms if f)


def _phone_forms(text: str) -> set[str]:
    import phonenumbers

    try:
        number = phonenumbers.parse(text, getattr(settings, "PHONE_DEFAULT_REGION", "JP"))
    except phonenumbers.NumberParseException:
        return set()
    return {phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)}


def recipient_ids_matching(term: str) -> tuple[list[str], list[int]]:
    """(addresses, recipient ids) for an external id, e-mail address or phone number.

    The addresses include the matched recipients' current ones: suppressions and bounces are recorded
    by address. (A reassigned phone number also brings its earlier owner's events: the address column
    on each row says what was matched.)
    """
    addresses = address_forms(term)
    try:
        recipient = apps.get_model("audiences", "Recipient")
    except LookupError:
        return addresses, []
    wanted = Q(external_id=term) | Q(email_normalized__in=[a.lower() for a in addresses]) | Q(phone__in=addresses)
    ids, found = [], set(addresses)
    for pk, email, phone in recipient.objects.filter(wanted).values_list("id", "email_normalized", "phone")[:_MAX_IDS]:
        ids.append(pk)
        found.update(a for a in (email, phone) if a)
    return sorted(found), ids
