"""Step 3: run every enabled strategy on the same features and collect their signals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from qgtm_core import ConfigError, FeatureSet, Signal, Strategy
from qgtm_strategies._gold_trend import GoldTrend
from qgtm_strategies._ratio_mr import GoldSilverRatioMeanReversion

__all__ = ["REGISTRY", "StrategyBook", "build_strategies"]

REGISTRY: Mapping[str, Callable[[], Strategy]] = {
    GoldTrend.name: GoldTrend,
    GoldSilverRatioMeanReversion.name: GoldSilverRatioMeanReversion,
}
"""Strategy name -> factory with default parameters."""


def build_strategies(names: Sequence[str]) -> tuple[Strategy, ...]:
    """Instantiate strategies by name; an unknown name is a ``ConfigError`` naming it."""
    out: list[Strategy] = []
    for name in names:
        factory = REGISTRY.get(name)
        if factory is None:
            msg = f"strategies.enabled: unknown strategy {name!r} (known: {', '.join(sorted(REGISTRY))})"
            raise ConfigError(msg)
        out.append(factory())
    return tuple(out)


class StrategyBook:
    """Implements ``SignalGenerator``: strategies run in a fixed order so output is deterministic."""

    def __init__(self, strategies: Sequence[Strategy]) -> None:
        self._strategies = tuple(strategies)

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        """The strategies, in run order."""
        return self._strategies

    def generate(self, features: FeatureSet) -> tuple[Signal, ...]:
        """All signals of all strategies."""
        return tuple(signal for strategy in self._strategies for signal in strategy.generate(features))
