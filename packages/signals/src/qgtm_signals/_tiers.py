"""Subscriber tiers and when each may see a signal.

The release time is computed once, when the signal is published, from the injected clock; the
publisher only hands a message to a channel once the clock has reached it. That single rule is
what keeps a delayed or end-of-day subscriber from ever seeing a signal early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

__all__ = ["Tier", "TierSchedule"]

_SATURDAY = 5


class Tier(StrEnum):
    """How fresh a subscriber's signals are."""

    REALTIME = "realtime"
    DELAYED = "delayed"
    END_OF_DAY = "end_of_day"


@dataclass(frozen=True, slots=True)
class TierSchedule:
    """Delay of the delayed tier and the daily cut-off of the end-of-day tier (weekdays only)."""

    delay: timedelta = timedelta(minutes=15)
    eod_cutoff: time = time(16, 0)
    eod_timezone: str = "America/New_York"

    def __post_init__(self) -> None:
        if self.delay <= timedelta(0):
            msg = f"signals.delayed_minutes: the delayed tier needs a positive delay, got {self.delay}"
            raise ValueError(msg)
        ZoneInfo(self.eod_timezone)  # raises for an unknown zone name, at configuration time

    def release_at(self, tier: Tier, published_at: datetime) -> datetime:
        """The earliest instant a subscriber of ``tier`` may receive a signal published at ``published_at``."""
        if published_at.tzinfo is None:
            msg = "release times need a timezone-aware publication time"
            raise ValueError(msg)
        if tier is Tier.REALTIME:
            return published_at.astimezone(UTC)
        if tier is Tier.DELAYED:
            return (published_at + self.delay).astimezone(UTC)
        return self._next_cutoff(published_at)

    def _next_cutoff(self, published_at: datetime) -> datetime:
        zone = ZoneInfo(self.eod_timezone)
        local = published_at.astimezone(zone)
        day = local.date()
        while True:
            cutoff = datetime.combine(day, self.eod_cutoff, tzinfo=zone)
            if day.weekday() < _SATURDAY and cutoff >= local:
                return cutoff.astimezone(UTC)
            day += timedelta(days=1)
