"""特定電子メール法 (the Act on Regulation of Transmission of Specified Electronic Mail), for marketing email.

Every marketing email must show: the sender's name, a statement that the recipient may refuse further
mail together with the link or address to do so, the sender's postal address, and a contact for
inquiries. How we provide them: an administrator configures a ``Sender`` with its name, postal address
and inquiry contact, and those are appended to every marketing email as a footer
(``campaigns.messages.legal_footer``); the opt-out statement with ``{{ unsubscribe_url }}`` must be in
the template itself (in the text body, and in the HTML body when there is one), written in the author's
voice. Each missing item is its own error, so the author sees exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..rendering import CompiledMessage
from .findings import ERROR, Finding

SENDER_ITEMS = (
    ("name", "marketing.sender_name_missing"),
    ("postal_address", "marketing.postal_address_missing"),
    ("contact", "marketing.contact_missing"),
)


def marketing_email_findings(*, compiled: CompiledMessage, sender: Mapping | None) -> list[Finding]:
    sender = sender or {}
    findings = [Finding(code, ERROR) for key, code in SENDER_ITEMS if not str(sender.get(key) or "").strip()]
    bodies = [part for part in ("text", "html") if part in compiled.templates]
    for part in bodies or ["text"]:
        if part not in compiled.unsubscribe_parts:
            findings.append(Finding("marketing.opt_out_missing", ERROR, {"part": part}))
    return findings
