"""Alpha strategies for QGTM. Each returns signals (direction, conviction, horizon, size hint), never orders.

from qgtm_strategies import REGISTRY, StrategyBook, build_strategies
book = StrategyBook(build_strategies(["gold_trend", "gold_silver_ratio_mr"]))
signals = book.generate(features)
"""

from qgtm_strategies._base import BaseStrategy, StrategyParams, View, clip_unit, ramp
from qgtm_strategies._book import StrategyBook, build_strategies
from qgtm_strategies._catalogue import CATALOGUE, REGISTRY
from qgtm_strategies._exits import (
    ExitManager,
    FixedTakeProfit,
    MaxHoldingTime,
    RMultipleTrailingStop,
    Trade,
    TradeBook,
)
from qgtm_strategies._filters import EntryFilter, RateGate, TrendFilter, VolatilityFilter
from qgtm_strategies._instability import EigenDivergence, EigenDivergenceParams, cubic_convex
from qgtm_strategies._relative import GoldSilverRatioMeanReversion
from qgtm_strategies._session import SESSION_WINDOWS, SessionMask, SessionWindow
from qgtm_strategies._trend import GoldTrend

__all__ = [
    "CATALOGUE",
    "REGISTRY",
    "SESSION_WINDOWS",
    "BaseStrategy",
    "EigenDivergence",
    "EigenDivergenceParams",
    "EntryFilter",
    "ExitManager",
    "FixedTakeProfit",
    "GoldSilverRatioMeanReversion",
    "GoldTrend",
    "MaxHoldingTime",
    "RMultipleTrailingStop",
    "RateGate",
    "SessionMask",
    "SessionWindow",
    "StrategyBook",
    "StrategyParams",
    "Trade",
    "TradeBook",
    "TrendFilter",
    "View",
    "VolatilityFilter",
    "build_strategies",
    "clip_unit",
    "cubic_convex",
    "ramp",
]
