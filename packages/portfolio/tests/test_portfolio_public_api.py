from __future__ import annotations

import qgtm_portfolio


def test_public_names_are_pinned_and_sorted() -> None:
    assert qgtm_portfolio.__all__ == [
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
    assert all(hasattr(qgtm_portfolio, name) for name in qgtm_portfolio.__all__)
