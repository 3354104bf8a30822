"""The replay clock of backtests: time only moves when the engine says so.

Hot loops keep time as integer nanoseconds and convert to a ``datetime`` only when someone asks
(an order is submitted, a fill is stamped), which is rare next to the number of bars replayed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["ReplayClock", "from_ns", "to_ns"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ns(at: datetime) -> int:
    """Integer UTC nanoseconds since the epoch of an aware datetime."""
    if at.tzinfo is None:
        msg = f"naive datetime {at!r}: replay times must be timezone-aware"
        raise ValueError(msg)
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def from_ns(ns: int) -> datetime:
    """The aware UTC datetime of integer nanoseconds (microsecond resolution)."""
    return _EPOCH + timedelta(microseconds=ns // 1_000)


class ReplayClock:
    """Implements ``Clock``; monotonic, moved by the backtest engine."""

    __slots__ = ("_cached", "_ns")

    def __init__(self, start: datetime) -> None:
        self._ns = to_ns(start)
        self._cached: datetime | None = start

    def now(self) -> datetime:
        """The replayed time."""
        if self._cached is None:
            self._cached = from_ns(self._ns)
        return self._cached

    @property
    def ns(self) -> int:
        """The replayed time as integer nanoseconds."""
        return self._ns

    def advance_to(self, at: datetime) -> None:
        """Move forward to ``at``; going back is a bug in the engine."""
        self.advance_to_ns(to_ns(at))
        self._cached = at

    def advance_to_ns(self, ns: int) -> None:
        """Move forward to ``ns`` nanoseconds."""
        if ns < self._ns:
            msg = f"replay clock cannot go back from {from_ns(self._ns)} to {from_ns(ns)}"
            raise ValueError(msg)
        if ns != self._ns:
            self._ns = ns
            self._cached = None
