"""Eigenvalue velocity divergence: trade the assets that historically respond best to instability."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from qgtm_core import Direction, FeatureSet
from qgtm_strategies._base import BaseStrategy, StrategyParams, View, feature, finite, ramp
from qgtm_strategies._exits import FixedTakeProfit, MaxHoldingTime, TradeBook
from qgtm_strategies._filters import EntryFilter

__all__ = ["EigenDivergence", "EigenDivergenceParams", "cubic_convex"]


def cubic_convex(strength: float, floor: float = 0.05) -> float:
    """Signal-strength sizing: convex in strength (s cubed), so weak impulses risk little."""
    s = max(0.0, min(1.0, strength))
    return 0.0 if s == 0.0 else max(floor, s**3)


class EigenDivergenceParams(StrategyParams):
    """Parameters of ``EigenDivergence``."""

    instruments: tuple[str, ...] = ("GLD", "SLV", "SPY")
    threshold: float = Field(default=0.004, gt=0.0)
    full: float = Field(default=0.015, gt=0.0)
    response_bars: int = Field(default=5, ge=1)
    memory: int = Field(default=20, ge=1)
    take_profit: float = Field(default=0.03, gt=0.0)
    max_hold: int = Field(default=10, ge=1)
    horizon_bars: int = 10


class EigenDivergence(BaseStrategy[EigenDivergenceParams]):
    """When correlation concentrates faster short-term than long-term, past shock winners win again.

    An impulse is the eigenvalue velocity divergence (short minus long) crossing above
    ``threshold``. Every impulse is remembered; ``response_bars`` later each instrument's return
    since the impulse is its impulse response. On a new impulse the instruments are ranked by
    their mean response over the last ``memory`` impulses: long the best (short the worst when
    shorting is allowed), sized cubic-convexly in the divergence strength, closed by a fixed take
    profit or after ``max_hold`` bars.
    """

    name = "eigen_divergence"
    family = "instability"
    params_type = EigenDivergenceParams
    grid: ClassVar = {"threshold": (0.002, 0.004, 0.008)}

    def __init__(self, params: EigenDivergenceParams | None = None, entry_filters: Sequence[EntryFilter] = ()) -> None:
        super().__init__(params, entry_filters)
        p = self.params
        self._bar = 0
        self._above = False
        self._pending: deque[tuple[int, dict[str, float]]] = deque()
        self._responses: dict[str, deque[float]] = {i: deque(maxlen=p.memory) for i in p.instruments}
        self._book = TradeBook((FixedTakeProfit(p.take_profit), MaxHoldingTime(p.max_hold)))
        self._conviction: dict[str, float] = {}

    def _learn(self, prices: dict[str, float]) -> None:
        """Record the response of every instrument to impulses ``response_bars`` old."""
        while self._pending and self._bar - self._pending[0][0] >= self.params.response_bars:
            _, then = self._pending.popleft()
            for instrument, start in then.items():
                now = prices.get(instrument, float("nan"))
                if finite(now, start) and start > 0:
                    self._responses[instrument].append(now / start - 1.0)

    def ranking(self) -> list[tuple[str, float]]:
        """Instruments with a known impulse response, best mean response first."""
        known = [(i, sum(r) / len(r)) for i, r in self._responses.items() if r]
        return sorted(known, key=lambda item: (-item[1], item[0]))

    def views(self, features: FeatureSet) -> Sequence[View]:
        p = self.params
        self._bar += 1
        prices = {i: feature(features, i, "close") for i in p.instruments}
        self._learn(prices)
        for instrument, _reason in self._book.update(prices, self._bar):
            self._conviction.pop(instrument, None)
        divergence = features.cross.get("eig_divergence", float("nan"))
        if finite(divergence):
            impulse = divergence > p.threshold and not self._above
            self._above = divergence > p.threshold
            if impulse:
                self._pending.append((self._bar, dict(prices)))
                self._enter(divergence, prices)
        views = []
        for instrument in p.instruments:
            trade = self._book.open.get(instrument)
            score = 0.0 if trade is None else float(trade.direction) * self._conviction.get(instrument, 0.0)
            views.append(View(instrument, score, f"eig_divergence={divergence:.4f}"))
        return views

    def _enter(self, divergence: float, prices: dict[str, float]) -> None:
        ranked = self.ranking()
        if len(ranked) < 2:
            return
        size = cubic_convex(
            ramp(divergence, self.params.threshold, max(self.params.full, self.params.threshold * 1.01))
        )
        legs = [(ranked[0][0], Direction.LONG)]
        if self.params.allow_short:
            legs.append((ranked[-1][0], Direction.SHORT))
        for instrument, direction in legs:
            if instrument not in self._book.open:
                self._book.open_trade(instrument, direction, prices[instrument], self._bar, self.params.take_profit)
                self._conviction[instrument] = size
