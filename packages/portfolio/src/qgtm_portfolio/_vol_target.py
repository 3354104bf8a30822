"""Volatility targeting of the whole book: size the book so its expected volatility is the target.

The book's volatility is estimated from each instrument's recent volatility (a feature) and one
assumed pairwise correlation. A full covariance would be more precise, but the per-instrument
volatility is what the feature engine publishes every cycle, and a constant correlation errs on
the side of caution when it is set above the typical one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from qgtm_core import ConfigError, FeatureSet, InstrumentId

__all__ = ["VolatilityTarget"]


@dataclass(frozen=True)
class VolatilityTarget:
    """Scale the book towards ``annual_vol``; never by more than ``max_scale``."""

    annual_vol: float
    max_scale: float = 1.0
    assumed_correlation: float = 0.3
    vol_feature: str = "vol_fast"

    def __post_init__(self) -> None:
        if self.annual_vol <= 0:
            msg = f"portfolio.volatility_target: {self.annual_vol} must be positive"
            raise ConfigError(msg)
        if self.max_scale <= 0:
            msg = f"portfolio.volatility_target max_scale: {self.max_scale} must be positive"
            raise ConfigError(msg)
        if not -1.0 < self.assumed_correlation <= 1.0:
            msg = f"portfolio.volatility_target assumed_correlation: {self.assumed_correlation} must be in (-1, 1]"
            raise ConfigError(msg)

    def book_vol(self, weights: Mapping[InstrumentId, float], features: FeatureSet) -> float:
        """Annualised volatility of the book; NaN when no weighted instrument has a known vol.

        ``var = (1 - rho) * sum (w s)^2 + rho * (sum w s)^2`` is the constant-correlation formula.
        Instruments whose volatility is still warming up are left out.
        """
        sq = 0.0
        total = 0.0
        known = False
        for instrument, w in weights.items():
            if w == 0.0:
                continue
            s = features.get(instrument, self.vol_feature)
            if math.isnan(s):
                continue
            known = True
            ws = w * s
            sq += ws * ws
            total += ws
        if not known:
            return math.nan
        rho = self.assumed_correlation
        return math.sqrt(max((1.0 - rho) * sq + rho * total * total, 0.0))

    def scale(self, weights: Mapping[InstrumentId, float], features: FeatureSet) -> float:
        """Factor to apply to every weight; 1.0 when the book's volatility is unknown or zero."""
        vol = self.book_vol(weights, features)
        if math.isnan(vol) or vol <= 0.0:
            return 1.0
        return min(self.annual_vol / vol, self.max_scale)
