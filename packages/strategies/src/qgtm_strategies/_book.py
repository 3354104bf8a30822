"""Step 3: run every enabled strategy on the same features and collect their signals."""

from __future__ import annotations

from collections.abc import Sequence

from qgtm_core import ConfigError, FeatureSet, Signal, Strategy
from qgtm_strategies._catalogue import REGISTRY
from qgtm_strategies._session import SessionMask

__all__ = ["StrategyBook", "build_strategies"]


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
    """Implements ``SignalGenerator``: strategies run in a fixed order so output is deterministic.

    With a ``SessionMask``, a cycle whose time falls in a disabled session produces no signals.
    """

    def __init__(self, strategies: Sequence[Strategy], session_mask: SessionMask | None = None) -> None:
        self._strategies = tuple(strategies)
        self._mask = session_mask

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        """The strategies, in run order."""
        return self._strategies

    def generate(self, features: FeatureSet) -> tuple[Signal, ...]:
        """All signals of all strategies (none while the session mask is closed)."""
        if self._mask is not None and not self._mask.allows(features.at):
            return ()
        return tuple(signal for strategy in self._strategies for signal in strategy.generate(features))
