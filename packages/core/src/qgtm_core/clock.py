"""Clocks. Environments differ only in clock, data source and broker; these are the simple clocks.

The replay clock that drives backtests lives in ``qgtm_backtest``; the wall clock and a manually
advanced clock live here because every package's tests need one.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["ManualClock", "WallClock"]


class WallClock:
    """Real time, UTC."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; refuses to go backwards."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            msg = "ManualClock needs a timezone-aware start"
            raise ValueError(msg)
        self._now = start

    def now(self) -> datetime:
        """The time last set."""
        return self._now

    def advance_to(self, at: datetime) -> None:
        """Move forward to ``at``."""
        if at < self._now:
            msg = f"clock cannot go back from {self._now} to {at}"
            raise ValueError(msg)
        self._now = at
