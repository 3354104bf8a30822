"""Reference bar strategies: the moving-average crosses used by the parity test and the benchmark.

They are deliberately plain and defined exactly like their peers' versions, so a difference in
trades between engines points at the engines, not the strategy: the SMA is ``fsum(window) /
period`` (backtrader's ``SMA``), the EMA is seeded with the first price and updated as
``alpha * x + (1 - alpha) * prev`` (NautilusTrader's ``ExponentialMovingAverage``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from qgtm_backtest._bars import BarContext, BarFeed, run_bars
from qgtm_backtest._clock import ReplayClock, from_ns
from qgtm_backtest._commission import PerShareCommission
from qgtm_backtest._sweep import EvalTask
from qgtm_backtest._venue import SimulatedVenue
from qgtm_core import ConfigError, OrderType, Side

__all__ = ["Ema", "MaKind", "MovingAverageCross", "ma_cross_returns"]


class MaKind(StrEnum):
    """Which moving average."""

    SMA = "sma"
    EMA = "ema"


class Ema:
    """Exponential moving average, NautilusTrader's definition."""

    __slots__ = ("alpha", "count", "value")

    def __init__(self, period: int) -> None:
        self.alpha = 2.0 / (period + 1.0)
        self.value = 0.0
        self.count = 0

    def update(self, x: float) -> float:
        """Feed one price; returns the new value."""
        if self.count == 0:
            self.value = x  # then blended with itself, exactly as NautilusTrader does
        self.value = self.alpha * x + ((1.0 - self.alpha) * self.value)
        self.count += 1
        return self.value


class MovingAverageCross:
    """Long ``quantity`` while the fast average is above the slow one, flat otherwise."""

    def __init__(self, fast: int, slow: int, quantity: Decimal, kind: MaKind = MaKind.SMA) -> None:
        if not 1 <= fast < slow:
            msg = f"strategy.fast: must be >= 1 and below strategy.slow ({slow}), got {fast}"
            raise ConfigError(msg)
        self.fast, self.slow, self.quantity, self.kind = fast, slow, quantity, kind
        self._fast_ema, self._slow_ema = Ema(fast), Ema(slow)
        self._long = False

    def on_bar(self, ctx: BarContext) -> None:
        """Compare the averages on the bar's close and trade on a change of side."""
        if self.kind is MaKind.EMA:
            fast, slow = self._fast_ema.update(ctx.close), self._slow_ema.update(ctx.close)
        elif ctx.index + 1 >= self.slow:
            fast = math.fsum(ctx.history("close", self.fast)) / self.fast
            slow = math.fsum(ctx.history("close", self.slow)) / self.slow
        else:
            return
        if ctx.index + 1 < self.slow:
            return
        if not self._long and fast > slow:
            ctx.submit(Side.BUY, self.quantity, OrderType.MARKET)
            self._long = True
        elif self._long and fast < slow:
            ctx.submit(Side.SELL, self.quantity, OrderType.MARKET)
            self._long = False


def ma_cross_returns(feed: BarFeed, task: EvalTask) -> npt.NDArray[np.float64]:
    """Sweep objective: per-bar returns of ``MovingAverageCross(**task.params)`` on bars ``[start, stop)``.

    Module-level (with ``functools.partial`` binding the feed) so process pools and Ray can ship it.
    """
    rows = slice(task.start, task.stop)
    window = BarFeed(
        feed.instrument,
        feed.close_ns[rows],
        feed.open[rows],
        feed.high[rows],
        feed.low[rows],
        feed.close[rows],
        feed.volume[rows],
        feed.bar_length,
    )
    params = task.params
    strategy = MovingAverageCross(
        int(params.get("fast", 20)),
        int(params.get("slow", 50)),
        Decimal(str(params.get("quantity", 100))),
        MaKind(str(params.get("kind", MaKind.SMA.value))),
    )
    clock = ReplayClock(from_ns(int(window.close_ns[0]) - 1) if len(window) else from_ns(0))
    venue = SimulatedVenue(Decimal(str(params.get("cash", 100_000))), clock, PerShareCommission())
    result = run_bars(window, strategy, venue, clock, record_equity=True)
    assert result.equity is not None  # record_equity=True
    start = float(params.get("cash", 100_000))
    previous = np.concatenate(([start], result.equity[:-1]))
    out: npt.NDArray[np.float64] = result.equity / previous - 1.0
    return out
