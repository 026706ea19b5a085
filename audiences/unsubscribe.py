"""Signed unsubscribe links (one per recipient and channel) for messages and List-Unsubscribe.

The token is ``django.core.signing`` over the recipient id and channel with its own salt, so it
cannot be forged or reused for another recipient or channel, and holds nothing personal. It does
not expire: an unsubscribe link in an old message must keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models.choices import Channel

SALT = "audiences.unsubscribe.v1"


@dataclass(frozen=True)
class UnsubscribeTarget:
    recipient_id: int
    channel: str


def make_token(recipient_id: int, channel: str) -> str:
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    return signing.dumps([int(recipient_id), channel], salt=SALT, compress=False)


def read_token(token: str) -> UnsubscribeTarget:
    """The target of ``token``; raises ``signing.BadSignature`` for anything forged or mangled."""
    value = signing.loads(token, salt=SALT)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or value[1] not in Channel.values
    ):
        raise signing.BadSignature("unexpected token payload")
    return UnsubscribeTarget(recipient_id=value[0], channel=value[1])


def unsubscribe_url(recipient_id: int, channel: str) -> str:
    """Absolute URL of the public unsubscribe page (also the RFC 8058 one-click POST target)."""
    path = reverse("audiences:unsubscribe", kwargs={"token": make_token(recipient_id, channel)})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
