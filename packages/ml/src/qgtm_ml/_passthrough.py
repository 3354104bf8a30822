"""Step 5 before any model is trained: keep every signal, but record that decision and why."""

from __future__ import annotations

from collections.abc import Sequence

from qgtm_core import FeatureSet, FilterResult, MetaAction, MetaDecision, Signal, TargetPortfolio

__all__ = ["PassThroughRegimeFilter"]


class PassThroughRegimeFilter:
    """Implements ``SignalFilter``; every signal is kept with scale 1 and a stated reason."""

    regime = "unclassified"

    def filter(self, target: TargetPortfolio, signals: Sequence[Signal], features: FeatureSet) -> FilterResult:
        """Target unchanged; one KEEP decision per signal."""
        decisions = tuple(
            MetaDecision(s.strategy, s.instrument, MetaAction.KEEP, 1.0, "pass-through: no regime model loaded")
            for s in signals
        )
        return FilterResult(target=target, decisions=decisions, regime=self.regime)
