"""Session mask: which parts of the trading day may produce signals. Configuration only.

Windows are wall-clock ranges in the venue's own time zone (so daylight saving is handled by
``zoneinfo``). Turning a window off needs no retraining: the book simply emits nothing then.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

__all__ = ["SESSION_WINDOWS", "SessionMask", "SessionWindow"]


class SessionWindow(StrEnum):
    """Named trading windows."""

    ASIA = "asia"
    EUROPE = "europe"
    US_PRE = "us_pre"
    US_REGULAR = "us_regular"
    US_POST = "us_post"


SESSION_WINDOWS: dict[SessionWindow, tuple[str, time, time]] = {
    SessionWindow.ASIA: ("Asia/Tokyo", time(9, 0), time(15, 0)),
    SessionWindow.EUROPE: ("Europe/London", time(8, 0), time(16, 30)),
    SessionWindow.US_PRE: ("America/New_York", time(4, 0), time(9, 30)),
    SessionWindow.US_REGULAR: ("America/New_York", time(9, 30), time(16, 0)),
    SessionWindow.US_POST: ("America/New_York", time(16, 0), time(20, 0)),
}
"""Window -> (time zone, start inclusive, end exclusive) in local wall-clock time."""


class SessionMask(BaseModel):
    """Enabled windows; ``outside_windows`` decides times that fall in none (e.g. overnight)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: frozenset[SessionWindow] = frozenset(SessionWindow)
    outside_windows: bool = True

    def windows_at(self, at: datetime) -> list[SessionWindow]:
        """Every window containing ``at`` (they overlap: Europe and US pre-market)."""
        if at.tzinfo is None:
            msg = f"session mask: naive datetime {at!r}; timestamps must be timezone-aware"
            raise ValueError(msg)
        found: list[SessionWindow] = []
        for window, (zone, start, end) in SESSION_WINDOWS.items():
            local = at.astimezone(ZoneInfo(zone))
            if local.weekday() < 5 and start <= local.time() < end:
                found.append(window)
        return found

    def allows(self, at: datetime) -> bool:
        """True if any window containing ``at`` is enabled (or none contains it and that is allowed)."""
        windows = self.windows_at(at)
        if not windows:
            return self.outside_windows
        return any(w in self.enabled for w in windows)
