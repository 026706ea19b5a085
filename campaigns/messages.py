"""From a template version and a campaign to the exact message one recipient gets.

Preview, test send and the delivery side all build messages here, so what the approver sees is what
is sent: the rendered template, the 【重要】 label of an important notice, and for marketing email the
特定電子メール法 footer (sender's name, postal address, inquiry contact) from the campaign's ``Sender``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.html import escape

from .rendering import CompiledMessage, compile_message, recipient_context

IMPORTANT_LABEL = "【重要】"


@dataclass(frozen=True)
class MessageSpec:
    """What a campaign adds around its template (all of it is part of the content hash)."""

    channel: str
    purpose: str
    importance_label: bool = False
    sender: Mapping = field(default_factory=dict, hash=False)


def spec_for(campaign) -> MessageSpec:
    return MessageSpec(
        channel=campaign.channel,
        purpose=campaign.purpose,
        importance_label=bool(campaign.importance_label and campaign.purpose == "notice"),
        sender=campaign.sender.legal_details() if campaign.sender_id else {},
    )


def legal_footer(sender: Mapping) -> tuple[str, str]:
    """The 特定電子メール法 footer as (text, html)."""
    lines = [
        f"送信者: {sender.get('name', '')}",
        f"住所: {sender.get('postal_address', '')}".replace("\n", " "),
        f"お問い合わせ: {sender.get('contact', '')}",
    ]
    text = "\n\n--\n" + "\n".join(lines)
    html = '<hr><p class="legal-footer">' + "<br>".join(escape(line) for line in lines) + "</p>"
    return text, html


def decorate(parts: dict[str, str], spec: MessageSpec) -> dict[str, str]:
    """Add the importance label and the legal footer to rendered parts."""
    out = dict(parts)
    if spec.importance_label:
        key = "subject" if spec.channel == "email" else "body"
        if not out.get(key, "").startswith(IMPORTANT_LABEL):
            out[key] = IMPORTANT_LABEL + out.get(key, "")
    if spec.channel == "email" and spec.purpose == "marketing" and spec.sender:
        text, html = legal_footer(spec.sender)
        out["text"] = out.get("text", "") + text
        if out.get("html"):
            body = out["html"]
            close = body.lower().rfind("</body>")
            out["html"] = body[:close] + html + body[close:] if close >= 0 else body + html
    return out


def preview_unsubscribe_url(channel: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + f"/audiences/u/preview-{channel}/"


def context_for(compiled: CompiledMessage, spec: MessageSpec, recipient) -> dict:
    """The template context for ``recipient`` (a Recipient, or a dict; without an id the unsubscribe
    link is a placeholder, as in the template editor's sample preview)."""
    link = ""
    if compiled.uses_unsubscribe:
        recipient_id = recipient.get("id") if isinstance(recipient, Mapping) else getattr(recipient, "pk", None)
        if recipient_id:
            from audiences.unsubscribe import unsubscribe_url

            link = unsubscribe_url(recipient_id, spec.channel)
        else:
            link = preview_unsubscribe_url(spec.channel)
    return recipient_context(recipient, sender=spec.sender, unsubscribe_url=link)


def render_message(version, spec: MessageSpec, recipient) -> dict[str, str]:
    """The finished parts for one recipient; raises ``campaigns.rendering.RenderError``."""
    compiled = compile_message(version.source())
    return decorate(compiled.render(context_for(compiled, spec, recipient)), spec)
