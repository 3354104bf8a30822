"""Gold/silver ratio mean reversion: the ratio of two monetary metals reverts after extremes."""

from __future__ import annotations

import math
from collections.abc import Sequence

from qgtm_core import Direction, FeatureSet, InstrumentId, Signal, StrategyId

__all__ = ["GoldSilverRatioMeanReversion"]


class GoldSilverRatioMeanReversion:
    """Hypothesis: a gold/silver ratio far above its recent mean means silver is cheap.

    When the ratio z-score exceeds ``entry_z``, go long silver and short gold (and the reverse
    below ``-entry_z``); conviction grows with the excess over the threshold.
    """

    name = "gold_silver_ratio_mr"
    family = "mean_reversion"

    def __init__(self, gold: str = "GLD", silver: str = "SLV", entry_z: float = 1.5, full_z: float = 3.0) -> None:
        if full_z <= entry_z:
            msg = "full_z must exceed entry_z"
            raise ValueError(msg)
        self._gold = InstrumentId(gold)
        self._silver = InstrumentId(silver)
        self._entry = entry_z
        self._full = full_z

    def generate(self, features: FeatureSet) -> Sequence[Signal]:
        """A pair of opposite signals when the ratio is stretched, nothing otherwise."""
        z = features.cross.get("gold_silver_ratio_z", float("nan"))
        if math.isnan(z) or abs(z) < self._entry:
            return ()
        conviction = min((abs(z) - self._entry) / (self._full - self._entry), 1.0)
        silver_dir = Direction.LONG if z > 0 else Direction.SHORT
        gold_dir = Direction(-int(silver_dir))
        note = f"ratio z={z:.2f}"
        return tuple(
            Signal(
                strategy=StrategyId(self.name),
                instrument=instrument,
                direction=direction,
                conviction=conviction,
                horizon_bars=10,
                as_of=features.at,
                family=self.family,
                rationale=note,
            )
            for instrument, direction in ((self._silver, silver_dir), (self._gold, gold_dir))
        )
