"""How a bar (or a quote) turns a working order into a fill price: fill models and slippage.

A bar only tells us four prices, so every backtester must assume a path through them. The
models make that assumption explicit and selectable instead of buried in the venue:

- ``NEXT_OPEN``: market orders fill at the open; a limit or stop touched anywhere in the bar
  fills at its level, and when both legs of a bracket are touched the stop is taken first
  (the pessimistic reading of an unknown path).
- ``INTRABAR_PATH``: the price walks open -> the nearer extreme -> the other extreme -> close;
  each order fills where the walk first reaches it, so bracket legs resolve by that order.
- ``QUOTE``: market orders cross a spread (bid/ask from ``on_quote``, or ``spread_bps`` around
  the open when only bars exist); resting orders behave as in ``NEXT_OPEN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from qgtm_core import ZERO, OrderType, Side, round_to_increment

__all__ = ["FillModel", "Slippage", "trigger"]

_BPS = Decimal(10_000)


class FillModel(StrEnum):
    """Which price path a bar is assumed to have taken."""

    NEXT_OPEN = "next_open"
    INTRABAR_PATH = "intrabar_path"
    QUOTE = "quote"


@dataclass(frozen=True, slots=True)
class Slippage:
    """Adverse price move on market and stop fills: ``bps`` of the price plus ``ticks`` ticks."""

    bps: Decimal = ZERO
    ticks: int = 0
    tick_size: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        if self.bps < 0 or self.ticks < 0 or self.tick_size <= 0:
            msg = f"slippage: bps and ticks must be >= 0 and tick_size > 0, got {self}"
            raise ValueError(msg)

    @property
    def is_zero(self) -> bool:
        """True when fills happen at the model price."""
        return self.bps == 0 and self.ticks == 0

    def apply(self, price: Decimal, side: Side) -> Decimal:
        """Price moved against ``side`` and rounded to the tick."""
        if self.is_zero:
            return price
        moved = price * (1 + side.sign * self.bps / _BPS) + side.sign * self.ticks * self.tick_size
        return round_to_increment(moved, self.tick_size)


def _first_touch(path: tuple[float, ...], level: float, *, falling: bool) -> float | None:
    """Position along ``path`` (segment index + fraction) where the price first reaches ``level``."""
    for k in range(len(path) - 1):
        a, b = path[k], path[k + 1]
        if (falling and b <= level) or (not falling and b >= level):
            return k + ((a - level) / (a - b) if a != b else 0.0)
    return None


def trigger(
    model: FillModel,
    side: Side,
    order_type: OrderType,
    limit: float | None,
    stop: float | None,
    ohlc: tuple[float, float, float, float],
) -> tuple[float, float] | None:
    """Where (path position) and at what price an order fills in this bar, or ``None``.

    ``stop`` is ``None`` for a stop-limit already triggered in an earlier bar (it rests as a limit).
    """
    o, h, low, c = ohlc
    if order_type is OrderType.MARKET:
        return (0.0, o)
    buy = side is Side.BUY
    if order_type is OrderType.STOP or (order_type is OrderType.STOP_LIMIT and stop is not None):
        assert stop is not None  # OrderIntent guarantees a stop price for stop orders
        if (buy and o >= stop) or (not buy and o <= stop):
            hit: tuple[float, float] | None = (0.0, o)
        elif (buy and h >= stop) or (not buy and low <= stop):
            hit = (_position(model, (o, h, low, c), stop, falling=not buy, resting=1.0), stop)
        else:
            hit = None
        if hit is None or order_type is OrderType.STOP:
            return hit
        assert limit is not None  # OrderIntent guarantees a limit price for stop-limits
        within = hit[1] <= limit if buy else hit[1] >= limit
        return (hit[0], hit[1]) if within else None
    assert limit is not None  # OrderIntent guarantees a limit price for limit orders
    if (buy and o <= limit) or (not buy and o >= limit):
        return (0.0, o)
    if (buy and low <= limit) or (not buy and h >= limit):
        return (_position(model, (o, h, low, c), limit, falling=buy, resting=2.0), limit)
    return None


def _position(
    model: FillModel, ohlc: tuple[float, float, float, float], level: float, *, falling: bool, resting: float
) -> float:
    if model is not FillModel.INTRABAR_PATH:
        return resting
    o, h, low, c = ohlc
    path = (o, h, low, c) if h - o <= o - low else (o, low, h, c)
    found = _first_touch(path, level, falling=falling)
    return resting if found is None else found
