"""Routing: how a wanted quantity becomes one or more order intents.

* Price: a marketable limit (crosses the spread by ``cross_ticks``) when the spread is tight or
  the urgency is high, a passive limit (joins the near side) otherwise; plain market orders when
  the policy says so or no quote is known (the daily paper venue has none).
* Size: an order large against the bar's volume (more than ``max_participation`` of it) is cut into
  slices, equal (TWAP) or along a volume profile (VWAP). Slice ``k`` of ``n`` carries the leg
  ``slice-k/n``; the executor releases it ``(k-1) * slice_interval`` after the cycle, so the
  schedule is re-derived identically after a restart.
* Brackets: an order that opens or grows a position gets its take-profit (limit) and stop legs at
  submission, linked by ``parent``, so the position never relies on this process to exit it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from qgtm_core import (
    ClientOrderId,
    CorrelationId,
    Instrument,
    OrderIntent,
    OrderType,
    Side,
    TimeInForce,
    client_order_id_for,
    to_decimal,
)

__all__ = ["MarketContext", "OrderStyle", "Quote", "Router", "RoutingPolicy", "SliceMethod", "Urgency", "parse_slice"]


class Urgency(StrEnum):
    """How much spread the strategy is willing to pay to be filled now."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class OrderStyle(StrEnum):
    """Market orders everywhere, or limit orders priced from the quote."""

    MARKET = "market"
    LIMIT = "limit"


class SliceMethod(StrEnum):
    """Equal slices (TWAP) or slices along a volume profile (VWAP)."""

    TWAP = "twap"
    VWAP = "vwap"


@dataclass(frozen=True, slots=True)
class Quote:
    """Best bid and offer."""

    bid: Decimal
    ask: Decimal

    def __post_init__(self) -> None:
        if self.bid <= 0 or self.ask < self.bid:
            msg = f"quote: bid {self.bid} / ask {self.ask} is crossed or non-positive"
            raise ValueError(msg)

    @property
    def spread_bps(self) -> float:
        """Spread in basis points of the mid."""
        mid = (self.bid + self.ask) / 2
        return float((self.ask - self.bid) / mid) * 1e4


@dataclass(frozen=True, slots=True)
class MarketContext:
    """What routing knows about an instrument at the moment of the decision."""

    mark: Decimal
    quote: Quote | None = None
    volume: Decimal | None = None
    volume_profile: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Routing knobs; the defaults reproduce plain market orders without slicing or brackets."""

    style: OrderStyle = OrderStyle.MARKET
    urgency: Urgency = Urgency.NORMAL
    max_spread_bps: float = 10.0
    cross_ticks: int = 1
    max_participation: float = 0.0
    max_slices: int = 10
    slicing: SliceMethod = SliceMethod.TWAP
    take_profit: float | None = None
    stop_loss: float | None = None


def parse_slice(leg: str) -> tuple[int, int] | None:
    """``slice-k/n`` -> (k, n); any other leg -> None."""
    if not leg.startswith("slice-"):
        return None
    k, _, n = leg.removeprefix("slice-").partition("/")
    return int(k), int(n)


def _split(quantity: Decimal, lot: Decimal, weights: Sequence[float]) -> list[Decimal]:
    """Split into lot-sized parts proportional to ``weights``; rounding goes to the last part."""
    total = sum(weights)
    parts = [((quantity * to_decimal(w / total)) / lot).to_integral_value(ROUND_FLOOR) * lot for w in weights[:-1]]
    parts.append(quantity - sum(parts, Decimal(0)))
    return [p for p in parts if p > 0]


class Router:
    """Turns (instrument, side, quantity) into intents according to a ``RoutingPolicy``."""

    def __init__(self, policy: RoutingPolicy | None = None) -> None:
        self.policy = policy or RoutingPolicy()

    def _price(self, instrument: Instrument, side: Side, ctx: MarketContext) -> tuple[OrderType, Decimal | None]:
        p = self.policy
        if p.style is OrderStyle.MARKET or ctx.quote is None:
            return OrderType.MARKET, None
        q = ctx.quote
        tick = instrument.tick_size
        marketable = p.urgency is Urgency.HIGH or (p.urgency is Urgency.NORMAL and q.spread_bps <= p.max_spread_bps)
        if marketable:
            raw = q.ask + tick * p.cross_ticks if side is Side.BUY else q.bid - tick * p.cross_ticks
        else:
            raw = q.bid if side is Side.BUY else q.ask
        # Round away from crossing further than intended: buys down, sells up, to a legal tick.
        rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
        price = ((raw / tick).to_integral_value(rounding) * tick).quantize(tick)
        return OrderType.LIMIT, max(price, tick)

    def _slices(self, instrument: Instrument, quantity: Decimal, ctx: MarketContext) -> list[Decimal]:
        p = self.policy
        if p.max_participation <= 0 or ctx.volume is None or ctx.volume <= 0:
            return [quantity]
        cap = to_decimal(p.max_participation) * ctx.volume
        if quantity <= cap:
            return [quantity]
        n = min(p.max_slices, math.ceil(quantity / cap))
        if p.slicing is SliceMethod.VWAP and ctx.volume_profile:
            profile = list(ctx.volume_profile[:n])
            weights = profile if sum(profile) > 0 else [1.0] * n
        else:
            weights = [1.0] * n
        return _split(quantity, instrument.lot_size, weights)

    def route(
        self,
        instrument: Instrument,
        side: Side,
        quantity: Decimal,
        correlation_id: CorrelationId,
        ctx: MarketContext,
        *,
        opening: bool,
        reason: str = "",
    ) -> tuple[OrderIntent, ...]:
        """Intents for one instrument; ``opening`` is True when the order grows the position."""
        order_type, limit = self._price(instrument, side, ctx)
        slices = self._slices(instrument, quantity, ctx)
        intents: list[OrderIntent] = []
        for k, qty in enumerate(slices, start=1):
            leg = "entry" if len(slices) == 1 else f"slice-{k}/{len(slices)}"
            intents.append(
                OrderIntent(
                    client_order_id=client_order_id_for(correlation_id, instrument.id, leg),
                    correlation_id=correlation_id,
                    instrument=instrument.id,
                    side=side,
                    quantity=qty,
                    order_type=order_type,
                    limit_price=limit,
                    leg=leg,
                    reason=reason,
                )
            )
        if opening:
            intents += self._brackets(instrument, side, quantity, correlation_id, ctx, intents[0].client_order_id)
        return tuple(intents)

    def _brackets(
        self,
        instrument: Instrument,
        side: Side,
        quantity: Decimal,
        correlation_id: CorrelationId,
        ctx: MarketContext,
        parent: ClientOrderId,
    ) -> list[OrderIntent]:
        p = self.policy
        exit_side = Side.SELL if side is Side.BUY else Side.BUY
        sign = Decimal(side.sign)
        legs: list[OrderIntent] = []
        if p.take_profit is not None:
            price = instrument.round_price(ctx.mark * (1 + sign * to_decimal(p.take_profit)))
            legs.append(
                OrderIntent(
                    client_order_id=client_order_id_for(correlation_id, instrument.id, "take_profit"),
                    correlation_id=correlation_id,
                    instrument=instrument.id,
                    side=exit_side,
                    quantity=quantity,
                    order_type=OrderType.LIMIT,
                    time_in_force=TimeInForce.GTC,
                    limit_price=price,
                    leg="take_profit",
                    parent=parent,
                    reason=f"bracket take-profit at {price}",
                )
            )
        if p.stop_loss is not None:
            price = instrument.round_price(ctx.mark * (1 - sign * to_decimal(p.stop_loss)))
            legs.append(
                OrderIntent(
                    client_order_id=client_order_id_for(correlation_id, instrument.id, "stop_loss"),
                    correlation_id=correlation_id,
                    instrument=instrument.id,
                    side=exit_side,
                    quantity=quantity,
                    order_type=OrderType.STOP,
                    time_in_force=TimeInForce.GTC,
                    stop_price=price,
                    leg="stop_loss",
                    parent=parent,
                    reason=f"bracket stop at {price}",
                )
            )
        return legs
