"""When cycles run: on a cadence inside exchange sessions, never inside a maintenance window.

Sessions and holidays come from ``exchange-calendars`` (never a hand-written table). A
maintenance window is a daily UTC time range (CME Globex's 21:00-22:00 UTC halt, a broker's
nightly restart) during which no cycle is scheduled even if the exchange is open.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import exchange_calendars as xcals
import pandas as pd

from qgtm_core import ConfigError

__all__ = ["MaintenanceWindow", "SessionScheduler"]


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A daily UTC window ``[start, end)``; ``end`` before ``start`` wraps past midnight."""

    start: time
    end: time

    def contains(self, at: datetime) -> bool:
        """True if ``at`` falls inside the window."""
        t = at.astimezone(UTC).time()
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    @classmethod
    def parse(cls, text: str) -> MaintenanceWindow:
        """``"21:00-22:00"`` (UTC)."""
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as exc:
            msg = f"maintenance window {text!r}: expected HH:MM-HH:MM in UTC"
            raise ConfigError(msg) from exc
        return cls(start, end)


def _utc(ts: object) -> datetime:
    return cast("pd.Timestamp", ts).to_pydatetime().astimezone(UTC)


class SessionScheduler:
    """Cycle times for one exchange calendar."""

    def __init__(
        self,
        calendar: str = "XNYS",
        cadence: timedelta = timedelta(minutes=5),
        maintenance: Sequence[MaintenanceWindow] = (),
        *,
        start: date = date(2015, 1, 1),
        end: date | None = None,
    ) -> None:
        if cadence <= timedelta(0):
            msg = f"live.cadence: must be positive, got {cadence}"
            raise ConfigError(msg)
        try:
            self._cal = xcals.get_calendar(
                calendar,
                start=pd.Timestamp(start),
                end=pd.Timestamp(end or datetime.now(UTC).date() + timedelta(days=400)),
            )
        except xcals.errors.InvalidCalendarName as exc:
            msg = f"live.calendar: unknown exchange calendar {calendar!r}"
            raise ConfigError(msg) from exc
        self.cadence = cadence
        self.maintenance = tuple(maintenance)

    def is_open(self, at: datetime) -> bool:
        """Exchange open at ``at`` and outside every maintenance window."""
        stamp = pd.Timestamp(at.astimezone(UTC))
        return bool(self._cal.is_open_on_minute(stamp)) and not any(w.contains(at) for w in self.maintenance)

    def session_open(self, at: datetime) -> datetime | None:
        """Open time of the session containing ``at`` (None outside sessions)."""
        stamp = pd.Timestamp(at.astimezone(UTC))
        if not self._cal.is_open_on_minute(stamp):
            return None
        return _utc(self._cal.session_open(self._cal.minute_to_session(stamp, direction="none")))

    def next_open(self, at: datetime) -> datetime:
        """First session open strictly after ``at``."""
        return _utc(self._cal.next_open(pd.Timestamp(at.astimezone(UTC))))

    def times(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every cycle time in ``[start, end)``: open + k * cadence while the session lasts."""
        sessions = self._cal.sessions_in_range(
            pd.Timestamp(start.astimezone(UTC).date()), pd.Timestamp(end.astimezone(UTC).date())
        )
        for session in sessions:
            at = _utc(self._cal.session_open(session))
            close = _utc(self._cal.session_close(session))
            while at < close:
                if start <= at < end and not any(w.contains(at) for w in self.maintenance):
                    yield at
                at += self.cadence
