"""Everything the approval page (and the campaign page) shows, gathered in one place.

Previews are rendered live for the recipients preflight chose (a few random ones plus the edge cases),
so the approver reads what those real people would get from the pinned version.
"""

from __future__ import annotations

import difflib

from django.utils.translation import gettext_lazy as _

from audiences.models import Recipient
from channels.sms import sms_info

from .messages import spec_for
from .models import Campaign, TemplateVersion
from .preflight.audience import RECIPIENT_COLUMNS
from .preflight.findings import Finding
from .preflight.runner import render_previews
from .preflight.schedule import format_duration
from .rendering import RenderError, compile_message
from .selectors import last_approved_version, last_test_send, valid_approvals

PREVIEW_LABELS = {
    "longest": _("Longest merge fields"),
    "longest_name": _("Longest name"),
    "empty_optional": _("Empty optional fields"),
    "random": _("Random recipient"),
}
PART_LABELS = {"subject": _("Subject"), "text": _("Text body"), "html": _("HTML body"), "body": _("SMS body")}


def version_diff(old: TemplateVersion | None, new: TemplateVersion | None) -> list[dict]:
    """Per part, the unified diff lines with a css class (``add``, ``del``, ``hunk``, ``ctx``)."""
    if old is None or new is None:
        return []
    diffs = []
    old_parts, new_parts = old.parts(), new.parts()
    for part in ("subject", "text", "html", "body"):
        before, after = old_parts.get(part, ""), new_parts.get(part, "")
        if before == after:
            continue
        lines = []
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
            lines.append({"kind": kind, "line": line})
        diffs.append({"part": part, "label": PART_LABELS[part], "lines": lines})
    return diffs


def previews_for(campaign: Campaign) -> list[dict]:
    version = campaign.version_for_preview
    wanted = campaign.preflight_summary.get("previews", []) if campaign.preflight_summary else []
    if version is None or not wanted:
        return []
    try:
        compiled = compile_message(version.source())
    except RenderError:
        return []
    rows = {row["id"]: row for row in Recipient.objects.filter(pk__in=[w["id"] for w in wanted])
            .values(*RECIPIENT_COLUMNS)}
    labelled = [(w["label"], rows[w["id"]]) for w in wanted if w["id"] in rows]
    out = []
    for preview in render_previews(compiled, spec_for(campaign), labelled):
        item = {"label": PREVIEW_LABELS.get(preview.label, preview.label), "recipient": preview.recipient,
                "parts": preview.parts, "error": preview.error,
                "address": preview.recipient["email"] if campaign.channel == "email" else preview.recipient["phone"]}
        if preview.parts and campaign.channel == "sms":
            item["sms"] = sms_info(preview.parts.get("body", ""))
        out.append(item)
    return out


def review_context(campaign: Campaign) -> dict:
    version = campaign.version_for_preview
    findings = [Finding.from_json(f) for f in (campaign.preflight or [])]
    previous = last_approved_version(campaign.template, other_than=version) if version else None
    summary = campaign.preflight_summary or {}
    test_send = last_test_send(campaign)
    return {
        "campaign": campaign,
        "version": version,
        "raw_parts": [{"part": k, "label": PART_LABELS[k], "text": v} for k, v in (version.parts() if version
                                                                                    else {}).items()],
        "previous_version": previous,
        "diff": version_diff(previous, version),
        "findings": findings,
        "errors": [f for f in findings if f.severity == "error"],
        "summary": summary,
        "blocked": sorted((summary.get("blocked") or {}).items()),
        "duration": format_duration(summary.get("estimated_seconds", 0)),
        "previews": previews_for(campaign),
        "test_send": test_send,
        "test_send_matches": bool(test_send and campaign.content_hash and test_send.content_hash
                                  == campaign.content_hash),
        "approvals": list(valid_approvals(campaign).select_related("approver")) if campaign.content_hash else [],
        "history": list(campaign.approvals.select_related("approver").order_by("-decided_at")[:20]),
    }
