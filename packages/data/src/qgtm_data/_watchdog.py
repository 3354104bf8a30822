"""Freshness watchdog for live feeds.

A feed that goes quiet for longer than its window while its market is open raises an alarm
event; closed sessions and exchange maintenance windows (CME Globex halts daily 17:00-18:00 ET)
are masked, and silence is counted from the end of the last masked period, so a feed is not
blamed for the exchange's own pause. An adapter that sees an error reports it with ``fail`` and
the alarm is immediate: nothing waits for a window to expire, and nothing is swallowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd

from qgtm_core import DataError

__all__ = [
    "CME_MAINTENANCE",
    "ExchangeSessionMask",
    "FreshnessAlarm",
    "FreshnessWatchdog",
    "MaintenanceWindow",
    "SessionMask",
]


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A daily pause ``[start, end)`` in local ``zone`` time."""

    start: time
    end: time
    zone: str

    def contains(self, at: datetime) -> bool:
        """Whether ``at`` falls inside the pause."""
        local = at.astimezone(ZoneInfo(self.zone)).time()
        return self.start <= local < self.end


CME_MAINTENANCE = MaintenanceWindow(time(17, 0), time(18, 0), "America/New_York")
"""CME Globex daily maintenance halt."""


class SessionMask(Protocol):
    """Whether silence at ``at`` is expected (market closed or paused)."""

    def is_masked(self, at: datetime) -> bool: ...


@lru_cache(maxsize=8)
def _calendar(name: str) -> xcals.ExchangeCalendar:
    return xcals.get_calendar(name)


@dataclass(frozen=True)
class ExchangeSessionMask:
    """Masked when the exchange-calendars ``calendar`` is closed or a maintenance window applies."""

    calendar: str
    maintenance: Sequence[MaintenanceWindow] = ()

    def is_masked(self, at: datetime) -> bool:
        """True outside trading minutes of ``calendar`` or inside any maintenance window."""
        if at.tzinfo is None:
            msg = f"watchdog time {at!r} is naive; use tz-aware UTC"
            raise DataError(msg)
        if any(w.contains(at) for w in self.maintenance):
            return True
        cal = _calendar(self.calendar)
        minute = pd.Timestamp(at).floor("min")
        if not cal.first_minute <= minute <= cal.last_minute:
            msg = f"{at.isoformat()} is outside the {self.calendar} calendar's range"
            raise DataError(msg)
        return not bool(cal.is_open_on_minute(minute, ignore_breaks=False))


@dataclass(frozen=True, slots=True)
class FreshnessAlarm:
    """An alarm event: which feed, when, how long it was silent (or the error it reported)."""

    feed: str
    at: datetime
    last_seen: datetime | None
    silent_for: timedelta
    window: timedelta
    reason: str


class FreshnessWatchdog:
    """Tracks the last arrival per feed; ``check(now)`` raises one alarm per stale episode."""

    def __init__(
        self,
        windows: Mapping[str, timedelta],
        mask: SessionMask,
        on_alarm: Callable[[FreshnessAlarm], None],
        started_at: datetime,
    ) -> None:
        self._windows = dict(windows)
        self._mask = mask
        self._on_alarm = on_alarm
        self._last: dict[str, datetime | None] = dict.fromkeys(self._windows)
        self._since: dict[str, datetime] = dict.fromkeys(self._windows, started_at)
        self._alarmed: set[str] = set()
        self._masked = False

    def _window(self, feed: str) -> timedelta:
        try:
            return self._windows[feed]
        except KeyError:
            msg = f"watchdog has no window for feed {feed!r} (watching: {', '.join(sorted(self._windows))})"
            raise DataError(msg) from None

    def observe(self, feed: str, at: datetime) -> None:
        """Data arrived on ``feed`` at ``at``; clears its alarm."""
        self._window(feed)
        self._last[feed] = at
        self._since[feed] = max(self._since[feed], at)
        self._alarmed.discard(feed)

    def fail(self, feed: str, at: datetime, reason: str) -> FreshnessAlarm:
        """An adapter hit an error on ``feed``: alarm now, whatever the window."""
        window = self._window(feed)
        last = self._last[feed]
        alarm = FreshnessAlarm(feed, at, last, at - (last or self._since[feed]), window, f"feed error: {reason}")
        self._alarmed.add(feed)
        self._on_alarm(alarm)
        return alarm

    def check(self, now: datetime) -> list[FreshnessAlarm]:
        """Alarm every feed silent for longer than its window while unmasked; call on a timer."""
        if self._mask.is_masked(now):
            self._masked = True
            return []
        if self._masked:  # first check after a pause or close: silence restarts at the reopen
            self._masked = False
            for feed in self._since:
                self._since[feed] = max(self._since[feed], now)
        alarms = []
        for feed, since in self._since.items():
            window = self._windows[feed]
            silent = now - since
            if silent > window and feed not in self._alarmed:
                alarm = FreshnessAlarm(
                    feed, now, self._last[feed], silent, window, f"no data for {silent} (window {window})"
                )
                self._alarmed.add(feed)
                self._on_alarm(alarm)
                alarms.append(alarm)
        return alarms

    def healthy(self, feed: str) -> bool:
        """False while ``feed`` has an unresolved alarm."""
        self._window(feed)
        return feed not in self._alarmed
