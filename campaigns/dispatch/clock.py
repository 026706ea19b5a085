"""The clock of the delivery pipeline.

Every decision about time in dispatch — whether ``send_at`` has come, whether the send window is open
at the moment of sending, leases, retry times, stall detection — reads ``now()`` here, so tests can
move time (e.g. run a collection campaign past 21:00 Asia/Tokyo) without patching Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

_override: Callable[[], dt.datetime] | None = None


def now() -> dt.datetime:
    return _override() if _override is not None else timezone.now()


def set_clock(func: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (``None`` restores the real one). For tests."""
    global _override
    _override = func
