"""Trend and time-series momentum: metals trend because flows into bullion are slow and sticky."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from qgtm_core import FeatureSet
from qgtm_strategies._base import BaseStrategy, StrategyParams, View, clip_unit, feature, finite

__all__ = [
    "DonchianBreakout",
    "GoldTrend",
    "KalmanTrend",
    "MovingAverageCrossover",
    "TimeSeriesMomentum1M",
    "TimeSeriesMomentum3M",
    "TimeSeriesMomentum12M",
    "VolTargetedTrend",
]

_METALS = ("GLD", "SLV")


class GoldTrendParams(StrategyParams):
    """Parameters of ``GoldTrend``."""

    instrument: str = "GLD"
    saturation: float = Field(default=0.05, gt=0.0)
    allow_short: bool = False


class GoldTrend(BaseStrategy[GoldTrendParams]):
    """Gold keeps rising while its fast average is above the slow one (slow bullion flows).

    Conviction grows with the gap between the averages and saturates at ``saturation``.
    """

    name = "gold_trend"
    family = "trend"
    params_type = GoldTrendParams
    grid: ClassVar = {"saturation": (0.02, 0.05, 0.1)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        fast, slow = feature(features, p.instrument, "sma_fast"), feature(features, p.instrument, "sma_slow")
        if not finite(fast, slow) or slow <= 0:
            return ()
        gap = fast / slow - 1.0
        return (View(p.instrument, clip_unit(gap / p.saturation), f"sma_fast/sma_slow-1={gap:.4f}"),)


class MomentumParams(StrategyParams):
    """Parameters of the time-series momentum strategies."""

    instruments: tuple[str, ...] = _METALS
    saturation: float = Field(default=0.1, gt=0.0)


class _TimeSeriesMomentum(BaseStrategy[MomentumParams]):
    feature: ClassVar[str] = "mom_20"
    family = "momentum"
    params_type = MomentumParams
    grid: ClassVar = {"saturation": (0.05, 0.1, 0.2)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        out = []
        for instrument in self.params.instruments:
            mom = feature(features, instrument, self.feature)
            if finite(mom):
                out.append(View(instrument, clip_unit(mom / self.params.saturation), f"{self.feature}={mom:.4f}"))
        return out


class TimeSeriesMomentum1M(_TimeSeriesMomentum):
    """A metal up over the last month keeps going over the next (under-reaction to news)."""

    name = "tsmom_1m"
    feature = "mom_20"


class TimeSeriesMomentum3M(_TimeSeriesMomentum):
    """A metal up over the last quarter keeps going (slow diffusion of macro information)."""

    name = "tsmom_3m"
    feature = "mom_60"


class TimeSeriesMomentum12M(_TimeSeriesMomentum):
    """A metal up over the last year keeps going (the classic 12-month trend premium)."""

    name = "tsmom_12m"
    feature = "mom_250"


class CrossoverParams(StrategyParams):
    """Parameters of ``MovingAverageCrossover``."""

    instruments: tuple[str, ...] = _METALS
    saturation: float = Field(default=0.05, gt=0.0)


class MovingAverageCrossover(BaseStrategy[CrossoverParams]):
    """The 50-day average above the 200-day marks a durable uptrend in a metal (golden cross)."""

    name = "ma_crossover_50_200"
    family = "trend"
    params_type = CrossoverParams
    grid: ClassVar = {"saturation": (0.02, 0.05, 0.1)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        out = []
        for instrument in self.params.instruments:
            fast, slow = feature(features, instrument, "sma_50"), feature(features, instrument, "sma_200")
            if finite(fast, slow) and slow > 0:
                out.append(
                    View(instrument, clip_unit((fast / slow - 1.0) / self.params.saturation), "sma_50 vs sma_200")
                )
        return out


class BreakoutParams(StrategyParams):
    """Parameters of ``DonchianBreakout``."""

    instruments: tuple[str, ...] = _METALS
    channel: int = Field(default=55, ge=2)
    horizon_bars: int = 40


class DonchianBreakout(BaseStrategy[BreakoutParams]):
    """A close beyond the 55-day channel starts a trend that lasts (turtle-style breakout).

    Long above the prior channel high, short below the prior low; inside the channel, hold the
    side of the channel midpoint with half conviction.
    """

    name = "donchian_breakout"
    family = "trend"
    params_type = BreakoutParams
    grid: ClassVar = {"channel": (20, 55)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        out = []
        c = self.params.channel
        for instrument in self.params.instruments:
            close = feature(features, instrument, "close")
            high = feature(features, instrument, f"donchian_high_{c}")
            low = feature(features, instrument, f"donchian_low_{c}")
            if not finite(close, high, low) or high <= low:
                continue
            if close > high:
                score = 1.0
            elif close < low:
                score = -1.0
            else:
                score = 0.5 * clip_unit((close - (high + low) / 2.0) / ((high - low) / 2.0))
            out.append(View(instrument, score, f"close {close:.2f} in [{low:.2f}, {high:.2f}]"))
        return out


class KalmanTrendParams(StrategyParams):
    """Parameters of ``KalmanTrend``."""

    instrument: str = "GLD"
    entry_z: float = Field(default=0.5, ge=0.0)
    full_z: float = Field(default=2.0, gt=0.0)


class KalmanTrend(BaseStrategy[KalmanTrendParams]):
    """The Kalman local-trend slope of gold, when significant, predicts the next weeks' drift."""

    name = "kalman_trend"
    family = "trend"
    params_type = KalmanTrendParams
    grid: ClassVar = {"entry_z": (0.0, 0.5, 1.0)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        z = features.cross.get("gold_kf_slope_z", float("nan"))
        if not finite(z):
            return ()
        p = self.params
        excess = max(0.0, abs(z) - p.entry_z) / max(p.full_z - p.entry_z, 1e-9)
        return (View(p.instrument, clip_unit(excess) * (1.0 if z > 0 else -1.0), f"slope z={z:.2f}"),)


class VolTargetParams(StrategyParams):
    """Parameters of ``VolTargetedTrend``."""

    instruments: tuple[str, ...] = _METALS
    target_vol: float = Field(default=0.10, gt=0.0)
    lookback_feature: str = "mom_120"


class VolTargetedTrend(BaseStrategy[VolTargetParams]):
    """Trend returns per unit of risk are stable, so size the 6-month trend to a volatility target.

    Direction is the sign of 6-month momentum; the size hint is ``target_vol / vol_cc_60``.
    """

    name = "vol_targeted_trend"
    family = "trend"
    params_type = VolTargetParams
    grid: ClassVar = {"lookback_feature": ("mom_60", "mom_120", "mom_250")}

    def views(self, features: FeatureSet) -> Sequence[View]:
        out = []
        for instrument in self.params.instruments:
            mom = feature(features, instrument, self.params.lookback_feature)
            vol = feature(features, instrument, "vol_cc_60")
            if finite(mom, vol) and vol > 0:
                scale = min(1.0, self.params.target_vol / vol)
                out.append(View(instrument, scale if mom > 0 else -scale, f"mom={mom:.3f} vol={vol:.3f}"))
        return out
