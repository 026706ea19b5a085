"""Schedule checks: the send time against the window, and how long the send will take."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import formats

from ..window import SendWindow
from .findings import INFO, WARNING, Finding


def format_duration(seconds: float) -> str:
    seconds = max(0, math.ceil(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def estimated_seconds(*, recipients: int, per_second: int) -> float:
    return recipients / per_second if per_second > 0 else 0.0


def schedule_findings(*, send_at: dt.datetime | None, window: SendWindow, now: dt.datetime,
                      recipients: int, per_second: int) -> list[Finding]:
    findings = []
    if send_at is not None and send_at < now:
        findings.append(Finding("schedule.in_past", WARNING, {"send_at": send_at.isoformat()}))
    start = send_at if send_at is not None and send_at >= now else now
    if send_at is not None and not window.contains(start):
        opening = window.next_opening(start).astimezone(window.zone)
        findings.append(Finding("schedule.outside_window", WARNING,
                                {"opening": formats.date_format(opening, "Y-m-d H:i T")}))
    seconds = estimated_seconds(recipients=recipients, per_second=per_second)
    findings.append(Finding("schedule.duration", INFO, {"rate": per_second, "duration": format_duration(seconds),
                                                        "seconds": round(seconds)}))
    return findings
