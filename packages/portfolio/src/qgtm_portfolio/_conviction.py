"""Step 4, conviction-weighted: each instrument's weight is the mean signed conviction of the
strategies that speak about it, scaled by ``max_weight``, and the book is kept inside
``1 - cash_buffer`` gross. Every weight carries the contributions that produced it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from qgtm_core import Contribution, FeatureSet, InstrumentId, Signal, TargetPortfolio

__all__ = ["ConvictionWeightedAggregator"]


class ConvictionWeightedAggregator:
    """Implements ``SignalAggregator``."""

    def __init__(self, max_weight: float = 0.4, cash_buffer: float = 0.05, long_only: bool = False) -> None:
        self._max_weight = max_weight
        self._budget = 1.0 - cash_buffer
        self._long_only = long_only

    def aggregate(self, signals: Sequence[Signal], features: FeatureSet) -> TargetPortfolio:
        """Target weights explained by their contributing signals."""
        by_instrument: dict[InstrumentId, list[Signal]] = defaultdict(list)
        for signal in signals:
            by_instrument[signal.instrument].append(signal)
        weights: dict[InstrumentId, float] = {}
        explanations: dict[InstrumentId, tuple[Contribution, ...]] = {}
        for instrument in sorted(by_instrument):
            group = by_instrument[instrument]
            contributions = tuple(
                Contribution(s.strategy, s.score * self._max_weight / len(group), s.rationale) for s in group
            )
            weight = sum(c.weight for c in contributions)
            if self._long_only:
                weight = max(weight, 0.0)
            weights[instrument] = weight
            explanations[instrument] = contributions
        gross = sum(abs(w) for w in weights.values())
        if gross > self._budget > 0:
            scale = self._budget / gross
            weights = {k: w * scale for k, w in weights.items()}
        return TargetPortfolio(at=features.at, weights=weights, explanations=explanations)
