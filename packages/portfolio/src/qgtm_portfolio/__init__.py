"""Signal aggregation into a target portfolio for QGTM.

from qgtm_portfolio import ConvictionWeightedAggregator
target = ConvictionWeightedAggregator(max_weight=0.4).aggregate(signals, features)
target.explanations["GLD"]  # which strategies produced the GLD weight
"""

from qgtm_portfolio._conviction import ConvictionWeightedAggregator

__all__ = ["ConvictionWeightedAggregator"]
