"""Regime weights per strategy family: trend-followers shrink in a turbulent regime, say.

The regime label comes from a provider the app passes in (in practice the ``qgtm_ml`` regime
tracker), so this package never imports the model that produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from qgtm_core import ConfigError, FeatureSet

__all__ = ["UNCLASSIFIED", "RegimeProvider", "RegimeWeights"]

UNCLASSIFIED = "unclassified"

RegimeProvider = Callable[[FeatureSet], str]
"""Returns the regime label in force at ``features.at``."""


@dataclass(frozen=True)
class RegimeWeights:
    """``by_regime[regime][family]`` multiplies the budget of every strategy of ``family``.

    Missing regimes or families mean 1.0 (no change), so a partial table is safe.
    """

    by_regime: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for regime, families in self.by_regime.items():
            for family, weight in families.items():
                if not 0.0 <= weight <= 2.0:
                    msg = f"portfolio.regime_weights[{regime!r}][{family!r}]: {weight} must be in [0, 2]"
                    raise ConfigError(msg)

    def multiplier(self, regime: str, family: str) -> float:
        """Budget multiplier of ``family`` in ``regime``."""
        families = self.by_regime.get(regime)
        if families is None:
            return 1.0
        return families.get(family, 1.0)
