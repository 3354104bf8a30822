"""Build the step 4 aggregator from the ``[portfolio]`` configuration section."""

from __future__ import annotations

from qgtm_core import AssetClass, ConfigError, Universe
from qgtm_core.config import PortfolioConfig
from qgtm_portfolio._aggregator import MultiStrategyAggregator
from qgtm_portfolio._constraints import PortfolioConstraints
from qgtm_portfolio._regime import RegimeProvider, RegimeWeights
from qgtm_portfolio._vol_target import VolatilityTarget
from qgtm_portfolio._weighting import StrategyWeighting

__all__ = ["build_aggregator"]


def _asset_class(name: str) -> AssetClass:
    try:
        return AssetClass(name)
    except ValueError:
        choices = ", ".join(a.value for a in AssetClass)
        msg = f"portfolio.max_asset_class_weight: unknown asset class {name!r} (choose from: {choices})"
        raise ConfigError(msg) from None


def build_aggregator(
    config: PortfolioConfig, universe: Universe, regime: RegimeProvider | None = None
) -> MultiStrategyAggregator:
    """The aggregator the ``[portfolio]`` section describes, over ``universe``."""
    constraints = PortfolioConstraints(
        max_weight=config.max_weight,
        long_only=config.long_only,
        cash_buffer=config.cash_buffer,
        max_asset_class_weight={_asset_class(k): v for k, v in config.max_asset_class_weight.items()},
        universe=universe,
    )
    target = (
        VolatilityTarget(config.volatility_target, config.volatility_max_scale, config.assumed_correlation)
        if config.volatility_target is not None
        else None
    )
    return MultiStrategyAggregator(
        StrategyWeighting.parse(config.method),
        constraints,
        volatility_target=target,
        regime_weights=RegimeWeights(config.regime_weights),
        regime=regime,
        voting_quorum=config.voting_quorum,
        min_history=config.min_history,
    )
