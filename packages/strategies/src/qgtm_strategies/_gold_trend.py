"""Gold trend: gold trends persistently because flows into bullion (ETFs, central banks) are slow."""

from __future__ import annotations

import math
from collections.abc import Sequence

from qgtm_core import Direction, FeatureSet, InstrumentId, Signal, StrategyId

__all__ = ["GoldTrend"]


class GoldTrend:
    """Hypothesis: when the fast average of GLD is above the slow one, gold keeps rising.

    Long (or short) GLD with conviction growing with the gap between the averages, saturating at
    ``saturation`` (a 5% gap gives full conviction by default).
    """

    name = "gold_trend"
    family = "trend"

    def __init__(self, instrument: str = "GLD", saturation: float = 0.05, allow_short: bool = False) -> None:
        self._instrument = InstrumentId(instrument)
        self._saturation = saturation
        self._allow_short = allow_short

    def generate(self, features: FeatureSet) -> Sequence[Signal]:
        """One signal on the gold ETF once both averages are warm."""
        fast = features.get(self._instrument, "sma_fast")
        slow = features.get(self._instrument, "sma_slow")
        if math.isnan(fast) or math.isnan(slow) or slow <= 0:
            return ()
        gap = fast / slow - 1.0
        direction = Direction.LONG if gap > 0 else Direction.SHORT
        if direction is Direction.SHORT and not self._allow_short:
            direction = Direction.FLAT
        conviction = min(abs(gap) / self._saturation, 1.0)
        return (
            Signal(
                strategy=StrategyId(self.name),
                instrument=self._instrument,
                direction=direction,
                conviction=conviction,
                horizon_bars=20,
                as_of=features.at,
                family=self.family,
                rationale=f"sma_fast/sma_slow-1={gap:.4f}",
            ),
        )
