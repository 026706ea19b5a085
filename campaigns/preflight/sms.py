"""SMS length, encoding, segments and cost, from ``channels.sms`` (the one place that knows GSM-7)."""

from __future__ import annotations

from django.conf import settings

from channels.sms import PART_LIMIT, SINGLE_LIMIT, sms_info

from .findings import ERROR, INFO, WARNING, Finding


def cost_per_segment() -> int:
    return int(getattr(settings, "SMS_COST_PER_SEGMENT_YEN", 8))


def sms_text_findings(text: str) -> list[Finding]:
    """Encoding, segments and the long-SMS limit for one rendered text (the longest one we know of)."""
    info = sms_info(text)
    findings = [
        Finding("sms.encoding", INFO, {"encoding": info.encoding, "single": SINGLE_LIMIT[info.encoding],
                                       "part": PART_LIMIT[info.encoding]}),
        Finding("sms.segments", WARNING if info.segments > 1 else INFO,
                {"characters": info.characters, "segments": info.segments, "units": info.units}),
    ]
    if info.too_long:
        findings.append(Finding("sms.too_long", ERROR, {"characters": info.characters, "limit": info.max_chars}))
    return findings


def sms_cost_finding(*, recipients: int, mean_segments: float, max_segments: int) -> Finding:
    per_segment = cost_per_segment()
    return Finding("sms.cost", INFO, {
        "estimate": round(recipients * mean_segments * per_segment),
        "maximum": recipients * max_segments * per_segment,
        "per_segment": per_segment,
        "recipients": recipients,
    })
