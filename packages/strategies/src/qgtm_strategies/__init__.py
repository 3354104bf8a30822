"""Alpha strategies for QGTM. Each returns signals (direction, conviction, horizon), never orders.

from qgtm_strategies import StrategyBook, build_strategies
book = StrategyBook(build_strategies(["gold_trend", "gold_silver_ratio_mr"]))
signals = book.generate(features)
"""

from qgtm_strategies._book import REGISTRY, StrategyBook, build_strategies
from qgtm_strategies._gold_trend import GoldTrend
from qgtm_strategies._ratio_mr import GoldSilverRatioMeanReversion

__all__ = ["REGISTRY", "GoldSilverRatioMeanReversion", "GoldTrend", "StrategyBook", "build_strategies"]
