"""Each strategy's own track record, measured from the pipeline itself.

A strategy's return over one bar is what its unit-budget signals of the previous cycle earned:
``sum_i score_i * ret_1_i``. Measuring it here (instead of asking a backtest) means inverse-volatility
and risk-parity budgets follow how the strategies actually behave in this run, and need no other
package. ``seed`` accepts a backtested history so the budgets are sensible from the first cycle.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime

from qgtm_core import FeatureSet, InstrumentId, StrategyId

__all__ = ["StrategyReturnTracker"]


class StrategyReturnTracker:
    """Rolling per-strategy returns over the last ``window`` cycles."""

    def __init__(self, window: int = 60, return_feature: str = "ret_1") -> None:
        if window < 2:
            msg = f"strategy return window {window} must be at least 2"
            raise ValueError(msg)
        self._window = window
        self._feature = return_feature
        self._returns: dict[StrategyId, deque[float]] = {}
        self._positions: dict[StrategyId, dict[InstrumentId, float]] = {}
        self._last_at: datetime | None = None

    @property
    def window(self) -> int:
        """How many returns are kept per strategy."""
        return self._window

    def seed(self, returns: Mapping[StrategyId, Iterable[float]]) -> None:
        """Start from a known history (e.g. a backtest), most recent last."""
        for strategy, values in returns.items():
            self._returns[strategy] = deque((float(v) for v in values), maxlen=self._window)

    def history(self, strategy: StrategyId) -> tuple[float, ...]:
        """The returns kept for ``strategy``, oldest first."""
        return tuple(self._returns.get(strategy, ()))

    def observe(self, features: FeatureSet, positions: Mapping[StrategyId, Mapping[InstrumentId, float]]) -> None:
        """Credit last cycle's positions with this bar's returns, then remember the new positions.

        Called once per cycle; a second call at the same time is ignored so that replays and
        retries do not count a bar twice. Unknown (NaN) returns earn nothing.
        """
        if self._last_at is not None and features.at <= self._last_at:
            return
        if self._positions:
            feature = self._feature
            returns = {i: v.get(feature, math.nan) for i, v in features.values.items()}
            for strategy, held in self._positions.items():
                pnl = 0.0
                for instrument, score in held.items():
                    r = returns.get(instrument, math.nan)
                    if not math.isnan(r):
                        pnl += score * r
                self._returns.setdefault(strategy, deque(maxlen=self._window)).append(pnl)
        self._positions = {s: dict(p) for s, p in positions.items()}
        self._last_at = features.at

    def aligned(self, strategies: Iterable[StrategyId], min_history: int) -> list[list[float]] | None:
        """The last common ``n`` returns of every strategy (n >= ``min_history``), else None."""
        rows = [self._returns.get(s) for s in strategies]
        if not rows or any(r is None for r in rows):
            return None
        n = min(len(r) for r in rows if r is not None)
        if n < min_history:
            return None
        return [list(r)[-n:] for r in rows if r is not None]
