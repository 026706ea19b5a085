"""Send windows: the hours and weekdays, in a time zone, during which a campaign may send.

Pure and small so the delivery side can call it for every batch: ``window.contains(now)`` and
``window.next_opening(now)``. ``collection`` campaigns (dunning) are held to 08:00–21:00 Asia/Tokyo
whatever else is configured (貸金業法 第21条 and the collectors' own rules for SMS and email):
``COLLECTION_WINDOW`` is the widest they may have, and ``within_collection_hours`` is the check to repeat
at the moment of sending.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

ALL_WEEKDAYS = frozenset(range(7))  # Monday = 0, as datetime.weekday()
COLLECTION_TZ = "Asia/Tokyo"
COLLECTION_START_HOUR, COLLECTION_END_HOUR = 8, 21


class WindowError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SendWindow:
    start_hour: int = 0
    end_hour: int = 24
    weekdays: frozenset[int] = field(default=ALL_WEEKDAYS)
    tz: str = COLLECTION_TZ

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour < self.end_hour <= 24):
            raise WindowError("window.invalid", _("The window must start before it ends, within 0–24 h."))
        if not self.weekdays or not set(self.weekdays) <= ALL_WEEKDAYS:
            raise WindowError("window.invalid", _("The window needs at least one weekday (0 = Monday … 6 = Sunday)."))
        try:
            zoneinfo.ZoneInfo(self.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise WindowError("window.invalid", _("Unknown time zone %(tz)s.") % {"tz": self.tz})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz)

    @property
    def hours_per_week(self) -> int:
        return (self.end_hour - self.start_hour) * len(self.weekdays)

    def contains(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.weekdays and self.start_hour <= local.hour < self.end_hour

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself when inside the window, else the next time the window opens."""
        if self.contains(moment):
            return moment
        local = moment.astimezone(self.zone)
        for days in range(8):
            day = local.date() + dt.timedelta(days=days)
            opening = dt.datetime.combine(day, dt.time(self.start_hour), tzinfo=self.zone)
            if day.weekday() in self.weekdays and opening > local:
                return opening
        raise WindowError("window.invalid", _("The window never opens."))  # unreachable with ≥ 1 weekday

    def closes_at(self, moment: dt.datetime) -> dt.datetime | None:
        """When the window that contains ``moment`` closes (``None`` when outside)."""
        if not self.contains(moment):
            return None
        local = moment.astimezone(self.zone)
        closing = dt.datetime.combine(local.date(), dt.time(0), tzinfo=self.zone)
        return closing + dt.timedelta(hours=self.end_hour)

    def describe(self) -> str:
        days = "".join("月火水木金土日"[d] for d in sorted(self.weekdays))
        return f"{self.start_hour:02d}:00–{self.end_hour:02d}:00 {days} ({self.tz})"


COLLECTION_WINDOW = SendWindow(COLLECTION_START_HOUR, COLLECTION_END_HOUR, ALL_WEEKDAYS, COLLECTION_TZ)


def validate_collection_window(window: SendWindow) -> None:
    """Refuse a collection window that reaches outside 08:00–21:00 Asia/Tokyo."""
    if window.tz != COLLECTION_TZ:
        raise WindowError("window.collection_widened", _("Collection campaigns use the Asia/Tokyo time zone."))
    if window.start_hour < COLLECTION_START_HOUR or window.end_hour > COLLECTION_END_HOUR:
        raise WindowError(
            "window.collection_widened",
            "Collection campaigns may only send between 08:00 and 21:00 (Asia/Tokyo); the window cannot be widened.",
        )


def within_collection_hours(moment: dt.datetime) -> bool:
    return COLLECTION_WINDOW.contains(moment)
