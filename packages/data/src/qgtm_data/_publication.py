"""Publication rules: when each kind of observation could first have been known.

A daily bar is known once its session has closed and the vendor has published it; a FRED daily
series is known the next business morning. ``available_at`` is derived here and nowhere else.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["NEW_YORK", "daily_bar_times", "next_business_morning"]

NEW_YORK = ZoneInfo("America/New_York")
_CLOSE = time(16, 0)
_MORNING = time(8, 30)


def daily_bar_times(session: date, delay: timedelta) -> tuple[datetime, datetime]:
    """``(as_of, available_at)`` of a US daily bar: the 16:00 ET close, and the close plus ``delay``."""
    close = datetime.combine(session, _CLOSE, NEW_YORK)
    return close, close + delay


def next_business_morning(observation: date) -> datetime:
    """08:30 ET on the next weekday after ``observation`` (FRED daily series)."""
    day = observation + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, _MORNING, NEW_YORK)
