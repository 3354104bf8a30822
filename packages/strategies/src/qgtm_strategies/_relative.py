"""Relative value between the metals and against miners and equities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from qgtm_core import FeatureSet
from qgtm_strategies._base import BaseStrategy, StrategyParams, View, feature, finite, ramp

__all__ = ["GoldSilverRatioMeanReversion", "KalmanPairs", "MinersVsMetal", "RiskOnOff", "SilverCatchUp"]


class RatioParams(StrategyParams):
    """Parameters of ``GoldSilverRatioMeanReversion``."""

    gold: str = "GLD"
    silver: str = "SLV"
    entry_z: float = Field(default=1.5, gt=0.0)
    full_z: float = Field(default=3.0, gt=0.0)
    horizon_bars: int = 10


class GoldSilverRatioMeanReversion(BaseStrategy[RatioParams]):
    """A gold/silver ratio far above its recent mean means silver is cheap, and the ratio reverts.

    Beyond ``entry_z``: long silver and short gold (the reverse below ``-entry_z``); conviction
    grows with the excess over the threshold; inside the band both legs are flat.
    """

    name = "gold_silver_ratio_mr"
    family = "pairs"
    params_type = RatioParams
    grid: ClassVar = {"entry_z": (1.0, 1.5, 2.0)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        z = features.cross.get("gold_silver_ratio_z", float("nan"))
        if not finite(z):
            return ()
        strength = ramp(abs(z), p.entry_z, max(p.full_z, p.entry_z + 1e-6))
        sign = 1.0 if z > 0 else -1.0
        note = f"ratio z={z:.2f}"
        return (View(p.silver, sign * strength, note), View(p.gold, -sign * strength, note))


class KalmanPairsParams(StrategyParams):
    """Parameters of ``KalmanPairs``."""

    gold: str = "GLD"
    silver: str = "SLV"
    entry_z: float = Field(default=1.0, gt=0.0)
    full_z: float = Field(default=2.5, gt=0.0)
    horizon_bars: int = 5


class KalmanPairs(BaseStrategy[KalmanPairsParams]):
    """Gold trades around a slowly drifting multiple of silver; a wide Kalman spread closes.

    The spread is log(gold) minus the Kalman-filtered alpha + beta log(silver); the silver leg is
    sized by the dynamic hedge ratio beta.
    """

    name = "kalman_pairs"
    family = "pairs"
    params_type = KalmanPairsParams
    grid: ClassVar = {"entry_z": (0.75, 1.0, 1.5)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        z = features.cross.get("gs_kf_spread_z", float("nan"))
        beta = features.cross.get("gs_kf_beta", float("nan"))
        if not finite(z, beta):
            return ()
        strength = ramp(abs(z), p.entry_z, max(p.full_z, p.entry_z + 1e-6))
        sign = -1.0 if z > 0 else 1.0
        note = f"spread z={z:.2f} beta={beta:.2f}"
        hedge = min(1.0, abs(beta))
        return (View(p.gold, sign * strength, note), View(p.silver, -sign * strength * hedge, note))


class MinersParams(StrategyParams):
    """Parameters of ``MinersVsMetal``."""

    gold: str = "GLD"
    miners: str = "GDX"
    entry_z: float = Field(default=1.5, gt=0.0)
    full_z: float = Field(default=3.0, gt=0.0)


class MinersVsMetal(BaseStrategy[MinersParams]):
    """Miners are leveraged gold; when they lag the metal far beyond normal, they catch up.

    Uses the z-score of log(miners/gold); long miners and short gold when miners are cheap.
    """

    name = "miners_vs_metal"
    family = "relative_value"
    params_type = MinersParams
    grid: ClassVar = {"entry_z": (1.0, 1.5, 2.0)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        z = features.cross.get("miners_gold_ratio_z", float("nan"))
        if not finite(z):
            return ()
        strength = ramp(abs(z), p.entry_z, max(p.full_z, p.entry_z + 1e-6))
        sign = -1.0 if z > 0 else 1.0
        return (View(p.miners, sign * strength, f"miners/gold z={z:.2f}"), View(p.gold, -sign * strength))


class SilverCatchUpParams(StrategyParams):
    """Parameters of ``SilverCatchUp``."""

    gold: str = "GLD"
    silver: str = "SLV"
    ratio_move: float = Field(default=0.05, gt=0.0)
    horizon_bars: int = 10


class SilverCatchUp(BaseStrategy[SilverCatchUpParams]):
    """In a gold uptrend, silver that lagged (ratio up sharply over a month) catches up.

    Long silver when gold's 3-month momentum is positive and the gold/silver ratio rose more than
    ``ratio_move`` over 20 days.
    """

    name = "silver_catch_up"
    family = "relative_value"
    params_type = SilverCatchUpParams
    grid: ClassVar = {"ratio_move": (0.03, 0.05, 0.08)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        move = features.cross.get("gold_silver_ratio_mom_20", float("nan"))
        trend = feature(features, p.gold, "mom_60")
        if not finite(move, trend):
            return ()
        strength = ramp(move, p.ratio_move, 2.0 * p.ratio_move) if trend > 0 else 0.0
        return (View(p.silver, strength, f"ratio 20d={move:.3f} gold 60d={trend:.3f}"),)


class RiskOnOffParams(StrategyParams):
    """Parameters of ``RiskOnOff``."""

    gold: str = "GLD"
    equity: str = "SPY"
    drawdown: float = Field(default=0.05, gt=0.0)
    vol: float = Field(default=0.25, gt=0.0)
    allow_short: bool = False


class RiskOnOff(BaseStrategy[RiskOnOffParams]):
    """When equities are in stress (drawdown or high volatility), gold is the haven; otherwise equities.

    Risk-off: long gold, flat equities. Risk-on: long equities, flat gold.
    """

    name = "risk_on_off"
    family = "regime"
    params_type = RiskOnOffParams
    grid: ClassVar = {"drawdown": (0.03, 0.05, 0.1)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        dd = features.cross.get("equity_drawdown_60", float("nan"))
        vol = features.cross.get("equity_vol_20", float("nan"))
        if not finite(dd, vol):
            return ()
        risk_off = -dd >= p.drawdown or vol >= p.vol
        note = f"equity dd={dd:.3f} vol={vol:.3f}"
        return (View(p.gold, 1.0 if risk_off else 0.0, note), View(p.equity, 0.0 if risk_off else 1.0, note))
