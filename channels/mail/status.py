"""SMTP reply codes and RFC 3463 enhanced status codes → what a failure means for dispatch.

RFC 3463: class 2 success, 4 persistent transient (soft), 5 permanent (hard). The subject digit says
what failed: 1 addressing, 2 mailbox, 3 mail system, 4 network/routing, 5 protocol, 6 content,
7 security/policy. A permanent failure about the *address* (X.1.X, X.2.X — no such user, mailbox
disabled) is a hard bounce and suppresses the address; a permanent policy or content rejection
(5.7.1 "blocked", 5.6.x) fails the delivery but says nothing about the address, so it does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..adapters.base import SUPPRESS_HARD_BOUNCE

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class SmtpStatus:
    code: int  # the basic reply code (550), 0 when only an enhanced code is known (from a DSN)
    enhanced: str  # "5.1.1", or "" when the server did not send one
    text: str

    @property
    def bounce_class(self) -> str:
        """"hard" (5.x.x / 5yz), "soft" (4.x.x / 4yz) or "" for success."""
        first = self.enhanced[:1] if self.enhanced else str(self.code)[:1]
        return {"5": "hard", "4": "soft"}.get(first, "")

    @property
    def permanent(self) -> bool:
        return self.bounce_class == "hard"

    @property
    def error_code(self) -> str:
        return "smtp." + (self.enhanced or str(self.code))

    @property
    def about_address(self) -> bool:
        if self.enhanced:
            return self.enhanced.split(".")[1] in {"1", "2"}
        return self.code in {550, 551, 553}  # mailbox unavailable / not local / name not allowed

    @property
    def suppression(self) -> str:
        return SUPPRESS_HARD_BOUNCE if self.permanent and self.about_address else ""


def parse_reply(code: int, text: str | bytes) -> SmtpStatus:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    match = _ENHANCED.search(text[:40])
    enhanced = match.group(0) if match and match.group(1) == str(code)[:1] else ""
    return SmtpStatus(code=code, enhanced=enhanced, text=text.strip())


def parse_enhanced(status: str, text: str = "") -> SmtpStatus | None:
    """An RFC 3463 code from a DSN's Status: field ("5.1.1", maybe with a comment)."""
    match = _ENHANCED.search(status or "")
    return SmtpStatus(code=0, enhanced=match.group(0), text=text or status) if match else None
