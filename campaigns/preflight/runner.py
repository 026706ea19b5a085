"""Run every preflight check for a campaign (or just a template) and collect the findings.

``run_preflight(campaign)`` is what submission runs (errors block it) and what the approver reads.
Audience numbers come from set-based queries over the whole audience (``preflight.audience``); the
previews (a few random recipients plus edge cases) are rendered for real and checked again, so a link or
a word that only appears after merging is caught too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..messages import MessageSpec, decorate, preview_unsubscribe_url, spec_for
from ..messages import context_for as message_context
from ..rendering import CompiledMessage, MessageSource, RenderError, compile_message
from . import audience as aud
from .compliance import marketing_email_findings
from .findings import ERROR, INFO, WARNING, Finding, has_errors, sort_findings
from .schedule import estimated_seconds, schedule_findings
from .sms import sms_cost_finding, sms_text_findings
from .text import link_findings, prohibited_word_findings, secret_request_findings, subject_findings

BLOCK_CODES = {"excluded": "audience.excluded", "no_consent": "audience.no_consent",
               "no_contact": "audience.no_contact", "not_mobile": "audience.not_mobile"}
SAMPLE_SIZE = 5


@dataclass
class Preview:
    label: str
    recipient: dict
    parts: dict[str, str] | None = None
    error: str = ""
    error_code: str = ""


@dataclass
class PreflightResult:
    findings: list[Finding] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    previews: list[Preview] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)


def allowed_domains() -> list[str]:
    domains = list(getattr(settings, "ALLOWED_LINK_DOMAINS", []))
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname
    return domains + ([host] if host else [])


def _prohibited_words() -> list[tuple[str, str]]:
    from ..models import ProhibitedWord

    return list(ProhibitedWord.objects.values_list("word", "severity"))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for finding in findings:
        key = (finding.code, tuple(sorted((k, str(v)) for k, v in finding.params.items())))
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def text_findings(texts: list[str], *, channel: str) -> list[Finding]:
    own = urlsplit(settings.PUBLIC_BASE_URL).hostname
    return (link_findings(texts, channel=channel, allowed_domains=allowed_domains(),
                          sms_links_forbidden=getattr(settings, "SMS_LINKS_FORBIDDEN", False),
                          own_hosts=[own] if own else [])
            + prohibited_word_findings(texts, _prohibited_words()) + secret_request_findings(texts))


def template_findings(source: MessageSource) -> tuple[CompiledMessage | None, list[Finding]]:
    """Checks that need only the template: syntax, links, words, secrets, subject."""
    findings = subject_findings(channel=source.channel, subject=source.subject)
    compiled = None
    try:
        compiled = compile_message(source)
    except RenderError as exc:
        findings.append(Finding("template.syntax", ERROR, {"detail": exc.message}))
    texts = list(source.parts().values())
    if compiled is not None and compiled.uses_unsubscribe and source.channel == "sms":
        texts.append(preview_unsubscribe_url(source.channel))  # the opt-out link is a link too
    return compiled, findings + text_findings(texts, channel=source.channel)


def render_previews(compiled: CompiledMessage, spec: MessageSpec, labelled: list[tuple[str, dict]]) -> list[Preview]:
    previews = []
    for label, row in labelled:
        preview = Preview(label=label, recipient=row)
        try:
            preview.parts = decorate(compiled.render(message_context(compiled, spec, row)), spec)
        except RenderError as exc:
            preview.error, preview.error_code = exc.message, exc.code
        previews.append(preview)
    return previews


def preview_rows(sendable_qs, stats: aud.AudienceStats) -> list[tuple[str, dict]]:
    """The edge cases found by the audience scan, then a few random recipients."""
    edges = [("longest_name", stats.longest_name_id), ("longest", stats.longest_fields_id),
             ("empty_optional", stats.empty_optional_id)]
    rows = aud.rows_by_id([i for _, i in edges if i is not None])
    labelled: list[tuple[str, dict]] = []
    seen: set[int] = set()
    for label, recipient_id in edges:
        if recipient_id in rows and recipient_id not in seen:
            seen.add(recipient_id)
            labelled.append((label, rows[recipient_id]))
    for row in aud.random_sample(sendable_qs, min_id=stats.min_id, max_id=stats.max_id, size=SAMPLE_SIZE):
        if row["id"] not in seen:
            seen.add(row["id"])
            labelled.append(("random", row))
    return labelled


def _audience_findings(campaign, stats: aud.AudienceStats) -> list[Finding]:
    findings = [Finding("audience.sendable", INFO, {"count": stats.sendable, "total": stats.total})]
    if stats.sendable == 0:
        findings.append(Finding("audience.empty", ERROR))
    for reason, count in sorted(stats.blocked.items()):
        if reason.startswith("suppressed."):
            findings.append(Finding("audience.suppressed", INFO, {"count": count, "reason": reason.split(".", 1)[1]}))
        elif reason in BLOCK_CODES:
            findings.append(Finding(BLOCK_CODES[reason], INFO, {"count": count}))
        else:
            findings.append(Finding("audience.blocked", INFO, {"count": count, "reason": reason}))
    required = campaign_required_fields(campaign)
    for name, count in sorted(stats.missing.items()):
        link = reverse("campaigns:missing_field", args=[campaign.pk, name]) if campaign.pk else ""
        severity = ERROR if name in required else INFO  # an optional field may be missing by design
        findings.append(Finding("template.undefined_field", severity, {"field": name, "count": count}, link=link))
    for name, count in sorted(stats.empty.items()):
        link = reverse("campaigns:missing_field", args=[campaign.pk, name]) if campaign.pk else ""
        findings.append(Finding("template.empty_field", WARNING, {"field": name, "count": count}, link=link))
    return findings


def campaign_required_fields(campaign) -> frozenset[str]:
    version = campaign.version_for_preview
    try:
        return compile_message(version.source()).required_fields
    except (RenderError, AttributeError):
        return frozenset()


def run_preflight(campaign, *, now=None) -> PreflightResult:
    now = now or timezone.now()
    result = PreflightResult()
    version = campaign.version_for_preview
    if version is None:
        result.findings.append(Finding("campaign.no_template", ERROR))
        return result
    spec = spec_for(campaign)
    compiled, findings = template_findings(version.source())
    result.findings += findings
    if campaign.sender_id is None:
        result.findings.append(Finding("campaign.no_sender", ERROR))
    if compiled is not None and campaign.channel == "email" and campaign.purpose == "marketing":
        result.findings += marketing_email_findings(compiled=compiled, sender=spec.sender)
    if campaign.segment_id is None and campaign.segment_definition is None:
        result.findings.append(Finding("campaign.no_segment", ERROR))
        stats = aud.AudienceStats()
    else:
        fields = set(compiled.fields) if compiled else set()
        audience_qs = _audience(campaign)
        stats = aud.audience_stats(audience_qs, channel=campaign.channel, purpose=campaign.purpose,
                                   exclusion_list_id=campaign.exclusion_list_id, fields=fields,
                                   optional=set(compiled.optional_fields) if compiled else set(),
                                   check_gsm=campaign.channel == "sms" and _static_text_is_gsm7(version.body))
        result.findings += _audience_findings(campaign, stats)
        if compiled is not None and stats.sendable:
            sendable_qs = aud.sendable(audience_qs, channel=campaign.channel, purpose=campaign.purpose,
                                       exclusion_list_id=campaign.exclusion_list_id)
            result.previews = render_previews(compiled, spec, preview_rows(sendable_qs, stats))
    result.findings += _preview_findings(campaign, result.previews, stats)
    result.findings += schedule_findings(send_at=campaign.send_at, window=campaign.window, now=now,
                                         recipients=stats.sendable, per_second=campaign.throttle_per_s)
    result.findings = sort_findings(_dedupe(result.findings))
    result.summary = _summary(campaign, stats, result)
    return result


_TAG = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


def _static_text_is_gsm7(body: str) -> bool:
    """Whether the template's own text fits GSM-7; if not, every message is UCS-2 whatever the fields hold,
    and counting recipients whose fields force UCS-2 would be a wasted pass over the audience."""
    from channels.sms import is_gsm7

    return is_gsm7(_TAG.sub("", body))


def _audience(campaign):
    from ..selectors import campaign_audience

    return campaign_audience(campaign)


def _preview_findings(campaign, previews: list[Preview], stats: aud.AudienceStats) -> list[Finding]:
    findings = []
    failed = [p for p in previews if p.error and p.error_code != "template.undefined_field"]
    if failed:
        findings.append(Finding("template.render_failed", ERROR, {"count": len(failed), "detail": failed[0].error}))
    rendered = [p.parts for p in previews if p.parts]
    texts = [text for parts in rendered for text in parts.values()]
    findings += text_findings(texts, channel=campaign.channel)
    if campaign.channel == "sms" and rendered:
        from channels.sms import sms_info

        infos = [sms_info(parts.get("body", "")) for parts in rendered]
        longest = max(rendered, key=lambda parts: sms_info(parts.get("body", "")).units)
        findings += sms_text_findings(longest.get("body", ""))
        if stats.non_gsm:
            findings.append(Finding("sms.ucs2_recipients", WARNING, {"count": stats.non_gsm}))
        mean = sum(info.segments for info in infos) / len(infos)
        findings.append(sms_cost_finding(recipients=stats.sendable, mean_segments=mean,
                                         max_segments=max(info.segments for info in infos)))
    return findings


def _summary(campaign, stats: aud.AudienceStats, result: PreflightResult) -> dict:
    summary = {
        "total": stats.total, "sendable": stats.sendable, "blocked": stats.blocked, "missing": stats.missing,
        "empty": stats.empty, "non_gsm": stats.non_gsm,
        "estimated_seconds": math.ceil(estimated_seconds(recipients=stats.sendable,
                                                         per_second=campaign.throttle_per_s)),
        "previews": [{"label": p.label, "id": p.recipient["id"]} for p in result.previews],
        "errors": sum(1 for f in result.findings if f.severity == ERROR),
        "warnings": sum(1 for f in result.findings if f.severity == WARNING),
    }
    for finding in result.findings:
        if finding.code == "sms.cost":
            summary["cost"] = finding.params
        if finding.code == "sms.segments":
            summary["sms_longest"] = finding.params
    return summary
