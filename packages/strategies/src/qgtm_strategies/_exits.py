"""Shared exit managers and the trade book they act on.

A strategy that holds trades (rather than re-deciding every bar) opens a ``Trade`` per instrument
and asks its exit managers each bar whether to close it. Managers are independent and composable:
the first one that fires closes the trade and names itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from qgtm_core import Direction

__all__ = ["ExitManager", "FixedTakeProfit", "MaxHoldingTime", "RMultipleTrailingStop", "Trade", "TradeBook"]


@dataclass
class Trade:
    """An open trade: where and when it started, its initial risk and its best price so far."""

    direction: Direction
    entry_price: float
    entry_bar: int
    risk: float
    """Initial risk per unit of price as a fraction of entry (1R), e.g. 0.02 for a 2% stop."""
    best_price: float

    def gain(self, price: float) -> float:
        """Signed return since entry in the trade's direction."""
        return float(self.direction) * (price / self.entry_price - 1.0)


class ExitManager(Protocol):
    """Says why a trade should close now, or ``None``."""

    def check(self, trade: Trade, price: float, bar: int) -> str | None: ...


class FixedTakeProfit:
    """Close once the trade has gained ``target`` (a fraction, e.g. 0.03)."""

    def __init__(self, target: float) -> None:
        if target <= 0:
            msg = f"take profit target must be positive, got {target}"
            raise ValueError(msg)
        self._target = target

    def check(self, trade: Trade, price: float, bar: int) -> str | None:
        """``take_profit`` when the gain reaches the target."""
        return "take_profit" if trade.gain(price) >= self._target else None


class MaxHoldingTime:
    """Close after ``bars`` bars whatever happened: the edge is assumed to decay by then."""

    def __init__(self, bars: int) -> None:
        if bars < 1:
            msg = f"maximum holding time must be at least 1 bar, got {bars}"
            raise ValueError(msg)
        self._bars = bars

    def check(self, trade: Trade, price: float, bar: int) -> str | None:
        """``max_hold`` once the trade is ``bars`` old."""
        return "max_hold" if bar - trade.entry_bar >= self._bars else None


class RMultipleTrailingStop:
    """Stop at -1R; once the trade is ``activate_r`` R in profit, trail ``trail_r`` R behind the best price."""

    def __init__(self, activate_r: float = 1.0, trail_r: float = 1.0) -> None:
        if activate_r < 0 or trail_r <= 0:
            msg = f"trailing stop needs activate_r >= 0 and trail_r > 0, got {activate_r}, {trail_r}"
            raise ValueError(msg)
        self._activate, self._trail = activate_r, trail_r

    def check(self, trade: Trade, price: float, bar: int) -> str | None:
        """``stop_loss`` below -1R, ``trailing_stop`` when giving back ``trail_r`` from the peak."""
        if trade.direction is Direction.LONG:
            trade.best_price = max(trade.best_price, price)
        else:
            trade.best_price = min(trade.best_price, price)
        gain = trade.gain(price)
        if gain <= -trade.risk:
            return "stop_loss"
        peak_gain = trade.gain(trade.best_price)
        if peak_gain >= self._activate * trade.risk and peak_gain - gain >= self._trail * trade.risk:
            return "trailing_stop"
        return None


class TradeBook:
    """Open trades per instrument, closed by the first exit manager that fires."""

    def __init__(self, exits: Sequence[ExitManager]) -> None:
        self._exits = tuple(exits)
        self.open: dict[str, Trade] = {}
        self.closed: list[tuple[str, str]] = []

    def open_trade(self, instrument: str, direction: Direction, price: float, bar: int, risk: float) -> None:
        """Start a trade unless one is already open on the instrument."""
        if instrument not in self.open and direction is not Direction.FLAT and price > 0:
            self.open[instrument] = Trade(direction, price, bar, risk, price)

    def update(self, prices: dict[str, float], bar: int) -> list[tuple[str, str]]:
        """Run the exits; return ``(instrument, reason)`` for every trade closed this bar."""
        closed: list[tuple[str, str]] = []
        for instrument, trade in list(self.open.items()):
            price = prices.get(instrument, float("nan"))
            if not price > 0:
                continue
            for manager in self._exits:
                reason = manager.check(trade, price, bar)
                if reason is not None:
                    closed.append((instrument, reason))
                    del self.open[instrument]
                    break
        self.closed.extend(closed)
        return closed
