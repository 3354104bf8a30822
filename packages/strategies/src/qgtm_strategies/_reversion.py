"""Mean reversion and volatility: stretched prices snap back; compressed volatility expands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field, model_validator

from qgtm_core import FeatureSet
from qgtm_strategies._base import BaseStrategy, StrategyParams, View, feature, finite, ramp

__all__ = [
    "BollingerReversion",
    "EwmZScoreReversion",
    "RsiReversion",
    "ShortTermReversal",
    "VolCompressionBreakout",
    "VolatilityBreakout",
    "ZScoreReversion",
]

_METALS = ("GLD", "SLV")


class ThresholdParams(StrategyParams):
    """An entry threshold and the level at which conviction is full."""

    instruments: tuple[str, ...] = _METALS
    entry: float = Field(default=1.5, gt=0.0)
    full: float = Field(default=3.0, gt=0.0)
    horizon_bars: int = 5

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdParams:
        if self.full <= self.entry:
            msg = f"full {self.full} must exceed entry {self.entry}"
            raise ValueError(msg)
        return self


def _fade(instrument: str, value: float, entry: float, full: float, label: str) -> View:
    """Score against the stretch: positive value -> short, scaled from entry to full."""
    strength = ramp(abs(value), entry, full)
    return View(instrument, -strength if value > 0 else strength, f"{label}={value:.2f}")


class _FeatureFade(BaseStrategy[ThresholdParams]):
    feature: ClassVar[str] = "zscore_fast"
    family = "mean_reversion"
    params_type = ThresholdParams
    grid: ClassVar = {"entry": (1.0, 1.5, 2.0)}

    def transform(self, value: float) -> float:
        return value

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        out = []
        for instrument in p.instruments:
            value = feature(features, instrument, self.feature)
            if finite(value):
                out.append(_fade(instrument, self.transform(value), p.entry, p.full, self.feature))
        return out


class ZScoreReversion(_FeatureFade):
    """A metal more than 1.5 standard deviations from its 20-day mean tends to revert within days."""

    name = "zscore_mr"
    feature = "zscore_fast"


class EwmZScoreReversion(_FeatureFade):
    """Deviations from an exponentially weighted mean revert; EWMA reacts faster to regime shifts."""

    name = "ewm_zscore_mr"
    feature = "zscore_ewm_fast"


class RsiReversion(_FeatureFade):
    """An RSI below 30 (above 70) marks a washed-out (overbought) metal that bounces (fades).

    The RSI is centred and scaled: (RSI - 50) / 10, so the default entry 1.5 is RSI 65 / 35.
    """

    name = "rsi_mr"
    feature = "rsi_14"
    grid: ClassVar = {"entry": (1.5, 2.0, 2.5)}

    def transform(self, value: float) -> float:
        return (value - 50.0) / 10.0


class BollingerParams(ThresholdParams):
    """Bollinger thresholds are in band units: 1.0 is the 2-sigma band."""

    entry: float = Field(default=1.0, gt=0.0)
    full: float = Field(default=1.5, gt=0.0)


class BollingerReversion(_FeatureFade):
    """A close outside the 2-sigma Bollinger band of 20 days reverts toward the band centre.

    The feature is ``bb_pct_20`` = (close - mean) / (2 sigma); the default entry is the band itself.
    """

    name = "bollinger_mr"
    feature = "bb_pct_20"
    grid: ClassVar = {"entry": (0.75, 1.0, 1.25)}

    params_type = BollingerParams


class ShortTermReversal(_FeatureFade):
    """A sharp one-week move in a metal (liquidity-driven selling or buying) partly reverses.

    The weekly return is scaled by 2% so the default entry 1.5 is a 3% week.
    """

    name = "short_term_reversal"
    feature = "mom_5"
    grid: ClassVar = {"entry": (1.0, 1.5, 2.5)}

    def transform(self, value: float) -> float:
        return value / 0.02


class VolBreakoutParams(StrategyParams):
    """Parameters of ``VolatilityBreakout``."""

    instruments: tuple[str, ...] = _METALS
    range_multiple: float = Field(default=1.8, gt=0.0)
    horizon_bars: int = 5


class VolatilityBreakout(BaseStrategy[VolBreakoutParams]):
    """A day whose range is far wider than its average true range starts a move in the close's direction."""

    name = "vol_breakout"
    family = "volatility"
    params_type = VolBreakoutParams
    grid: ClassVar = {"range_multiple": (1.5, 1.8, 2.5)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        out = []
        for instrument in self.params.instruments:
            ratio = feature(features, instrument, "range_ratio_14")
            ret = feature(features, instrument, "ret_1")
            if not finite(ratio, ret):
                continue
            strength = ramp(ratio, self.params.range_multiple, self.params.range_multiple * 1.5)
            out.append(View(instrument, strength if ret > 0 else -strength, f"range/atr={ratio:.2f}"))
        return out


class CompressionParams(StrategyParams):
    """Parameters of ``VolCompressionBreakout``."""

    instruments: tuple[str, ...] = _METALS
    max_ratio: float = Field(default=0.8, gt=0.0)
    horizon_bars: int = 10


class VolCompressionBreakout(BaseStrategy[CompressionParams]):
    """After volatility compresses, a break of the 20-day channel is the start of an expansion.

    Active only while short-term range volatility (Parkinson, 20 days) is below ``max_ratio`` of
    the 60-day close-to-close volatility.
    """

    name = "vol_compression_breakout"
    family = "volatility"
    params_type = CompressionParams
    grid: ClassVar = {"max_ratio": (0.7, 0.8, 1.0)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        out = []
        for instrument in self.params.instruments:
            short = feature(features, instrument, "vol_parkinson_20")
            long = feature(features, instrument, "vol_cc_60")
            close = feature(features, instrument, "close")
            high = feature(features, instrument, "donchian_high_20")
            low = feature(features, instrument, "donchian_low_20")
            if not finite(short, long, close, high, low) or long <= 0:
                continue
            compressed = short / long <= self.params.max_ratio
            score = 0.0
            if compressed and close > high:
                score = 1.0
            elif compressed and close < low:
                score = -1.0
            out.append(View(instrument, score, f"park/cc={short / long:.2f}"))
        return out
