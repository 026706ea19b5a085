"""SMS length arithmetic: which encoding a text needs, how many units and segments it costs.

GSM-7 (3GPP TS 23.038) packs 160 septets in one message; characters of the extension table are sent
as ESC + char and cost two. Anything outside the GSM alphabet forces UCS-2, counted in UTF-16 code
units (an emoji outside the BMP is a surrogate pair: two units), 70 in one message. A concatenated
message spends a 6-byte header per part, leaving 153 septets or 67 units. Handsets reassemble parts
verbatim, so a part must never end between the two halves of an escape sequence or of a surrogate
pair: that part would then hold 152 septets / 66 units and the count goes up — which is what
carriers bill, so it is what we report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as ESC + char: two septets each. Form feed is in the extension table too.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7, UCS2 = "GSM-7", "UCS-2"
SINGLE_LIMIT = {GSM7: 160, UCS2: 70}
PART_LIMIT = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SmsInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    characters: int  # code points, what a person counts
    segments: int  # messages the carrier sends and bills; 0 for an empty text
    parts: list[str] = field(default_factory=list, hash=False)  # the text cut where the handset reassembles it
    max_chars: int = 660  # the SMS_MAX_CHARS in force when this was computed

    @property
    def too_long(self) -> bool:
        """More characters than ``SMS_MAX_CHARS`` (Japanese carriers cap long SMS at 660)."""
        return self.characters > self.max_chars


def max_chars() -> int:
    return int(getattr(settings, "SMS_MAX_CHARS", 660))


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _cost(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # a surrogate pair in UTF-16


def _split(text: str, encoding: str, limit: int) -> list[str]:
    # Iterating code points keeps each escape sequence / surrogate pair whole by construction.
    parts: list[str] = []
    start, used = 0, 0
    for i, ch in enumerate(text):
        cost = _cost(ch, encoding)
        if used + cost > limit:
            parts.append(text[start:i])
            start, used = i, 0
        used += cost
    parts.append(text[start:])
    return parts


def sms_info(text: str) -> SmsInfo:
    encoding = GSM7 if is_gsm7(text) else UCS2
    units = sum(_cost(ch, encoding) for ch in text)
    if not text:
        parts: list[str] = []
    elif units <= SINGLE_LIMIT[encoding]:
        parts = [text]
    else:
        parts = _split(text, encoding, PART_LIMIT[encoding])
    return SmsInfo(
        encoding=encoding,
        units=units,
        characters=len(text),
        segments=len(parts),
        parts=parts,
        max_chars=max_chars(),
    )


def __getattr__(name: str) -> int:
    # ``channels.sms.SMS_MAX_CHARS`` follows the setting (and override_settings in tests).
    if name == "SMS_MAX_CHARS":
        return max_chars()
    raise AttributeError(name)
