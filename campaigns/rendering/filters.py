"""The filters message authors use: yen amounts, Japanese dates and the 様 honorific.

Each filter refuses values it cannot format with a ``RenderError`` naming the value, instead of
printing something half-right into a message that goes to a million people.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

from .errors import RenderError


def yen(value) -> str:
    """``12345`` → ``12,345円`` (whole yen, rounded half up; ``"12,345"`` and ``"12345.0"`` accepted)."""
    if isinstance(value, bool):
        raise RenderError("template.bad_value", f"yen: {value!r} is not an amount")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise RenderError("template.bad_value", f"yen: {value!r} is not an amount")
    if not amount.is_finite():
        raise RenderError("template.bad_value", f"yen: {value!r} is not an amount")
    whole = int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{whole:,}円"


def _local_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        try:
            if len(text) <= 10:
                return dt.date.fromisoformat(text)
            return _local_date(dt.datetime.fromisoformat(text))
        except ValueError:
            pass
    raise RenderError("template.bad_value", f"jdate: {value!r} is not a date (use YYYY-MM-DD)")


def jdate(value) -> str:
    """A date, datetime (shown in ``TIME_ZONE``) or ISO string → ``2026年11月25日``."""
    day = _local_date(value)
    return f"{day.year}年{day.month}月{day.day}日"


def sama(value) -> str:
    """``山田太郎`` → ``山田太郎様``; a name that already ends in 様 is left alone."""
    name = str(value).strip()
    if not name:
        raise RenderError("template.bad_value", "sama: the name is empty")
    return name if name.endswith("様") else name + "様"


MESSAGE_FILTERS = {"yen": yen, "jdate": jdate, "sama": sama}
