"""Signal aggregation into a target portfolio for QGTM (step 4).

from qgtm_portfolio import MultiStrategyAggregator, PortfolioConstraints, StrategyWeighting
aggregator = MultiStrategyAggregator(StrategyWeighting.RISK_PARITY, PortfolioConstraints(max_weight=0.3))
target = aggregator.aggregate(signals, features)
target.explanations["GLD"]  # which strategies produced the GLD weight; they sum to it
"""

from qgtm_portfolio._aggregator import MultiStrategyAggregator
from qgtm_portfolio._build import build_aggregator
from qgtm_portfolio._constraints import PortfolioConstraints
from qgtm_portfolio._conviction import ConvictionWeightedAggregator
from qgtm_portfolio._regime import UNCLASSIFIED, RegimeProvider, RegimeWeights
from qgtm_portfolio._tracking import StrategyReturnTracker
from qgtm_portfolio._vol_target import VolatilityTarget
from qgtm_portfolio._weighting import (
    VOL_FLOOR,
    StrategyWeighting,
    covariance_of,
    equal_risk_contribution,
    inverse_volatility_budgets,
)

__all__ = [
    "UNCLASSIFIED",
    "VOL_FLOOR",
    "ConvictionWeightedAggregator",
    "MultiStrategyAggregator",
    "PortfolioConstraints",
    "RegimeProvider",
    "RegimeWeights",
    "StrategyReturnTracker",
    "StrategyWeighting",
    "VolatilityTarget",
    "build_aggregator",
    "covariance_of",
    "equal_risk_contribution",
    "inverse_volatility_budgets",
]
