"""Trade dates: US rules count days in New York, not in UTC (a 20:30 ET fill is 00:30 UTC next day)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["trade_date"]

_NEW_YORK = ZoneInfo("America/New_York")


def trade_date(at: datetime) -> date:
    """The New York calendar date of a tz-aware timestamp."""
    return at.astimezone(_NEW_YORK).date()
