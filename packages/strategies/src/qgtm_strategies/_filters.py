"""Shared entry filters: a signal that fails one becomes FLAT, with the filter named in its rationale.

- ``VolatilityFilter``: no new exposure when realised volatility is outside a band.
- ``TrendFilter``: longs only above the slow average, shorts only below it.
- ``RateGate``: at most one change of direction per instrument every ``min_bars`` calls, so a
  noisy feature cannot churn the book.
"""

from __future__ import annotations

import math
from typing import Protocol

from qgtm_core import Direction, FeatureSet, InstrumentId

__all__ = ["EntryFilter", "RateGate", "TrendFilter", "VolatilityFilter"]


class EntryFilter(Protocol):
    """Decides whether a non-flat view may become a signal."""

    @property
    def name(self) -> str: ...

    def allows(self, instrument: InstrumentId, direction: Direction, features: FeatureSet) -> bool: ...


class VolatilityFilter:
    """Allow entries only while ``feature`` (annualised vol) is within ``[min_vol, max_vol]``."""

    name = "volatility"

    def __init__(self, max_vol: float = 0.6, min_vol: float = 0.0, feature: str = "vol_cc_20") -> None:
        if not 0.0 <= min_vol < max_vol:
            msg = f"volatility filter: need 0 <= min_vol < max_vol, got {min_vol}, {max_vol}"
            raise ValueError(msg)
        self._max, self._min, self._feature = max_vol, min_vol, feature

    def allows(self, instrument: InstrumentId, direction: Direction, features: FeatureSet) -> bool:
        """False while the volatility is unknown or outside the band."""
        vol = features.get(instrument, self._feature)
        return not math.isnan(vol) and self._min <= vol <= self._max


class TrendFilter:
    """Allow longs above the slow average and shorts below it (trade with the tide)."""

    name = "trend"

    def __init__(self, average: str = "sma_slow") -> None:
        self._average = average

    def allows(self, instrument: InstrumentId, direction: Direction, features: FeatureSet) -> bool:
        """False while the average is unknown or the direction fights it."""
        close = features.get(instrument, "close")
        average = features.get(instrument, self._average)
        if math.isnan(close) or math.isnan(average):
            return False
        return close >= average if direction is Direction.LONG else close <= average


class RateGate:
    """At most one new direction per instrument within ``min_bars`` calls (stateful)."""

    name = "rate_gate"

    def __init__(self, min_bars: int = 5) -> None:
        if min_bars < 1:
            msg = f"rate gate: min_bars must be at least 1, got {min_bars}"
            raise ValueError(msg)
        self._min = min_bars
        self._calls: dict[InstrumentId, int] = {}
        self._last: dict[InstrumentId, tuple[Direction, int]] = {}

    def allows(self, instrument: InstrumentId, direction: Direction, features: FeatureSet) -> bool:
        """Keeping the current direction is always allowed; flipping waits ``min_bars`` calls."""
        now = self._calls.get(instrument, 0) + 1
        self._calls[instrument] = now
        last = self._last.get(instrument)
        if last is not None and last[0] is direction:
            return True
        if last is not None and now - last[1] < self._min:
            return False
        self._last[instrument] = (direction, now)
        return True
