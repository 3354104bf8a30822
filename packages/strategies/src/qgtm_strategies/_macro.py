"""Macro, positioning, flows, carry and the calendar: the non-price drivers of bullion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from qgtm_core import FeatureSet
from qgtm_strategies._base import BaseStrategy, StrategyParams, View, clip_unit, feature, finite, ramp

__all__ = [
    "CotCommercialFollow",
    "CotGoldContrarian",
    "CotSilverContrarian",
    "DollarMomentum",
    "EtfFlowMomentum",
    "FuturesCarry",
    "MonthlySeasonality",
    "RealYieldBeta",
    "RealYieldMomentum",
    "TurnOfMonth",
]


class CotParams(StrategyParams):
    """Percentile thresholds of a 3-year COT positioning index."""

    instrument: str = "GLD"
    upper: float = Field(default=0.9, gt=0.5, le=1.0)
    lower: float = Field(default=0.1, ge=0.0, lt=0.5)
    horizon_bars: int = 20


class _CotContrarian(BaseStrategy[CotParams]):
    series: ClassVar[str] = "COT_GOLD_MM_NET"
    follow: ClassVar[bool] = False
    family = "positioning"
    params_type = CotParams
    grid: ClassVar = {"upper": (0.8, 0.9, 0.95), "lower": (0.05, 0.1, 0.2)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        pct = features.cross.get(f"{self.series}_pct_156", float("nan"))
        if not finite(pct):
            return ()
        if pct >= p.upper:
            score = -(0.25 + 0.75 * (pct - p.upper) / max(1.0 - p.upper, 1e-9))
        elif pct <= p.lower:
            score = 0.25 + 0.75 * (p.lower - pct) / max(p.lower, 1e-9)
        else:
            score = 0.0
        score = clip_unit(score)
        return (View(p.instrument, -score if self.follow else score, f"{self.series} 3y pct={pct:.2f}"),)


class CotGoldContrarian(_CotContrarian):
    """Managed money at a 3-year positioning extreme in gold is a crowded trade that unwinds (fade it)."""

    name = "cot_gold_mm_contrarian"
    series = "COT_GOLD_MM_NET"


class SilverCotParams(CotParams):
    """COT thresholds applied to the silver ETF."""

    instrument: str = "SLV"


class CotSilverContrarian(_CotContrarian):
    """Managed money at a 3-year positioning extreme in silver is a crowded trade that unwinds (fade it)."""

    name = "cot_silver_mm_contrarian"
    series = "COT_SILVER_MM_NET"

    params_type = SilverCotParams


class CotCommercialFollow(_CotContrarian):
    """Commercial hedgers (producers, swap dealers) net long at a 3-year extreme are right: follow them.

    Commercials are structurally short; an unusually small short (high percentile) is bullish.
    """

    name = "cot_gold_commercial"
    series = "COT_GOLD_COMM_NET"
    follow = True


class RealYieldParams(StrategyParams):
    """Parameters of ``RealYieldMomentum``."""

    instrument: str = "GLD"
    saturation: float = Field(default=0.25, gt=0.0)
    allow_short: bool = False


class RealYieldMomentum(BaseStrategy[RealYieldParams]):
    """Falling real yields lower the opportunity cost of holding gold, so gold rises after they fall.

    Score is minus the 20-day change of the 10-year TIPS yield over ``saturation`` (percentage points).
    """

    name = "real_yield_momentum"
    family = "macro"
    params_type = RealYieldParams
    grid: ClassVar = {"saturation": (0.1, 0.25, 0.5)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        chg = features.cross.get("real_yield_chg_20", float("nan"))
        if not finite(chg):
            return ()
        return (View(self.params.instrument, clip_unit(-chg / self.params.saturation), f"DFII10 20d chg={chg:.2f}"),)


class RealYieldBetaParams(StrategyParams):
    """Parameters of ``RealYieldBeta``."""

    instrument: str = "GLD"
    min_beta: float = Field(default=0.005, ge=0.0)
    z_entry: float = Field(default=0.5, ge=0.0)


class RealYieldBeta(BaseStrategy[RealYieldBetaParams]):
    """When gold is currently priced off real yields (strong negative beta), rich real yields mean cheap gold.

    Active only while the 1-year beta of gold returns to real-yield changes is below
    ``-min_beta``; then long gold when real yields are above their 1-year mean, short when below.
    """

    name = "real_yield_beta"
    family = "macro"
    params_type = RealYieldBetaParams
    grid: ClassVar = {"z_entry": (0.0, 0.5, 1.0)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        beta = features.cross.get("gold_real_yield_beta_252", float("nan"))
        z = features.cross.get("real_yield_z_252", float("nan"))
        if not finite(beta, z):
            return ()
        if beta > -p.min_beta or abs(z) < p.z_entry:
            return (View(p.instrument, 0.0, f"beta={beta:.4f} z={z:.2f}"),)
        return (View(p.instrument, clip_unit(z / 2.0), f"beta={beta:.4f} real yield z={z:.2f}"),)


class DollarParams(StrategyParams):
    """Parameters of ``DollarMomentum``."""

    instruments: tuple[str, ...] = ("GLD", "SLV")
    saturation: float = Field(default=0.02, gt=0.0)


class DollarMomentum(BaseStrategy[DollarParams]):
    """Metals are priced in dollars: a weakening broad dollar lifts them over the following weeks."""

    name = "dollar_momentum"
    family = "macro"
    params_type = DollarParams
    grid: ClassVar = {"saturation": (0.01, 0.02, 0.04)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        mom = features.cross.get("dollar_mom_20", float("nan"))
        if not finite(mom):
            return ()
        score = clip_unit(-mom / self.params.saturation)
        return [View(i, score, f"dollar 20d={mom:.4f}") for i in self.params.instruments]


class FlowParams(StrategyParams):
    """Parameters of ``EtfFlowMomentum``."""

    instrument: str = "GLD"
    saturation: float = Field(default=0.03, gt=0.0)
    allow_short: bool = False


class EtfFlowMomentum(BaseStrategy[FlowParams]):
    """Rising tonnes held by the gold ETF are persistent investor demand that keeps pushing price up.

    Score is the 20-day percentage change of GLD's tonnes in trust over ``saturation``.
    """

    name = "etf_flow_momentum"
    family = "flows"
    params_type = FlowParams
    grid: ClassVar = {"saturation": (0.01, 0.03, 0.06)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        flow = features.cross.get("GLD_TONNES_pchg_20", float("nan"))
        if not finite(flow):
            return ()
        return (View(self.params.instrument, clip_unit(flow / self.params.saturation), f"tonnes 20d={flow:.4f}"),)


class SeasonalityParams(StrategyParams):
    """Months in which gold has historically been strong (Indian wedding and festival demand, Chinese New Year)."""

    instrument: str = "GLD"
    strong_months: tuple[int, ...] = (1, 8, 9, 11, 12)
    weak_months: tuple[int, ...] = (3, 6)
    horizon_bars: int = 20


class MonthlySeasonality(BaseStrategy[SeasonalityParams]):
    """Physical demand is seasonal (jewellery buying ahead of festivals), so gold's monthly returns are too."""

    name = "seasonality_month"
    family = "seasonality"
    params_type = SeasonalityParams
    grid: ClassVar = {"weak_months": ((), (3, 6))}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        month = feature(features, p.instrument, "month")
        if not finite(month):
            return ()
        m = round(month)
        score = 1.0 if m in p.strong_months else -1.0 if m in p.weak_months else 0.0
        return (View(p.instrument, score, f"month={m}"),)


class TurnOfMonthParams(StrategyParams):
    """Days of the month counted as the turn."""

    instrument: str = "GLD"
    first_days: int = Field(default=3, ge=0, le=10)
    last_from: int = Field(default=27, ge=20, le=31)
    horizon_bars: int = 3
    allow_short: bool = False


class TurnOfMonth(BaseStrategy[TurnOfMonthParams]):
    """Month-end and month-start inflows (pension, savings plans) lift gold ETFs around the turn of the month."""

    name = "turn_of_month"
    family = "seasonality"
    params_type = TurnOfMonthParams
    grid: ClassVar = {"first_days": (2, 3, 5)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        day = feature(features, p.instrument, "day_of_month")
        if not finite(day):
            return ()
        turn = day <= p.first_days or day >= p.last_from
        return (View(p.instrument, 1.0 if turn else 0.0, f"day={round(day)}"),)


class CarryParams(StrategyParams):
    """Parameters of ``FuturesCarry``."""

    instrument: str = "GLD"
    entry_z: float = Field(default=1.0, gt=0.0)
    full_z: float = Field(default=2.5, gt=0.0)


class FuturesCarry(BaseStrategy[CarryParams]):
    """A COMEX gold basis below its usual contango (tight lease market) predicts firmer gold.

    Uses the 60-day z-score of the front-future premium over ETF-implied spot: a low (backwardated)
    basis is bullish, an unusually wide contango bearish.
    """

    name = "futures_carry"
    family = "carry"
    params_type = CarryParams
    grid: ClassVar = {"entry_z": (0.5, 1.0, 1.5)}

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        z = features.cross.get("gold_basis_z_60", float("nan"))
        if not finite(z):
            return ()
        strength = ramp(abs(z), p.entry_z, max(p.full_z, p.entry_z + 1e-6))
        return (View(p.instrument, -strength if z > 0 else strength, f"basis z={z:.2f}"),)
