"""Target portfolios: instrument weights with the signals that explain each weight."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from qgtm_core.ids import InstrumentId, StrategyId

__all__ = ["Contribution", "TargetPortfolio"]


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much one strategy's signal moved one instrument's target weight."""

    strategy: StrategyId
    weight: float
    note: str = ""


@dataclass(frozen=True)
class TargetPortfolio:
    """Weights as fractions of equity (signed; 0.25 = long a quarter of equity)."""

    at: datetime
    weights: Mapping[InstrumentId, float]
    explanations: Mapping[InstrumentId, tuple[Contribution, ...]] = field(default_factory=dict)

    @property
    def gross(self) -> float:
        """Sum of absolute weights."""
        return sum(abs(w) for w in self.weights.values())

    @property
    def net(self) -> float:
        """Sum of signed weights."""
        return sum(self.weights.values())

    def with_weights(self, weights: Mapping[InstrumentId, float]) -> TargetPortfolio:
        """Same explanations, new weights (used by filters that scale or cut)."""
        return replace(self, weights=dict(weights))
