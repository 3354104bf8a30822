"""Every strategy class, in catalogue order, and the name -> factory registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from qgtm_strategies._base import BaseStrategy, StrategyParams
from qgtm_strategies._instability import EigenDivergence
from qgtm_strategies._macro import (
    CotCommercialFollow,
    CotGoldContrarian,
    CotSilverContrarian,
    DollarMomentum,
    EtfFlowMomentum,
    FuturesCarry,
    MonthlySeasonality,
    RealYieldBeta,
    RealYieldMomentum,
    TurnOfMonth,
)
from qgtm_strategies._relative import GoldSilverRatioMeanReversion, KalmanPairs, MinersVsMetal, RiskOnOff, SilverCatchUp
from qgtm_strategies._reversion import (
    BollingerReversion,
    EwmZScoreReversion,
    RsiReversion,
    ShortTermReversal,
    VolatilityBreakout,
    VolCompressionBreakout,
    ZScoreReversion,
)
from qgtm_strategies._trend import (
    DonchianBreakout,
    GoldTrend,
    KalmanTrend,
    MovingAverageCrossover,
    TimeSeriesMomentum1M,
    TimeSeriesMomentum3M,
    TimeSeriesMomentum12M,
    VolTargetedTrend,
)

__all__ = ["CATALOGUE", "REGISTRY"]

CATALOGUE: tuple[type[BaseStrategy[StrategyParams]], ...] = (
    GoldTrend,
    TimeSeriesMomentum1M,
    TimeSeriesMomentum3M,
    TimeSeriesMomentum12M,
    MovingAverageCrossover,
    DonchianBreakout,
    KalmanTrend,
    VolTargetedTrend,
    VolatilityBreakout,
    VolCompressionBreakout,
    ZScoreReversion,
    EwmZScoreReversion,
    RsiReversion,
    BollingerReversion,
    ShortTermReversal,
    GoldSilverRatioMeanReversion,
    KalmanPairs,
    MinersVsMetal,
    SilverCatchUp,
    RiskOnOff,
    CotGoldContrarian,
    CotSilverContrarian,
    CotCommercialFollow,
    RealYieldMomentum,
    RealYieldBeta,
    DollarMomentum,
    EtfFlowMomentum,
    MonthlySeasonality,
    TurnOfMonth,
    FuturesCarry,
    EigenDivergence,
)
"""Every strategy class, grouped by family."""

REGISTRY: Mapping[str, Callable[[], BaseStrategy[StrategyParams]]] = {cls.name: cls for cls in CATALOGUE}
"""Strategy name -> factory with default parameters."""
