"""The simulated venue, shared by backtests and the paper broker of the live daemon.

First version: market orders fill at the open of the next bar of their instrument, paying a
per-share commission with a minimum. The venue is the authority on cash and positions, exactly
like a real broker, and refuses a client order id it has already seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from qgtm_core import (
    ZERO,
    BrokerError,
    ClientOrderId,
    Clock,
    ExecutionId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    to_decimal,
)

__all__ = ["PerShareCommission", "SimulatedVenue"]


@dataclass(frozen=True, slots=True)
class PerShareCommission:
    """``per_share`` per unit with a ``minimum`` per order fill (IBKR-style fixed schedule)."""

    per_share: Decimal = Decimal("0.005")
    minimum: Decimal = Decimal("1.00")

    def __call__(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Commission for one fill."""
        return max(self.minimum, (quantity * self.per_share).quantize(Decimal("0.01")))


class SimulatedVenue:
    """Implements ``Broker``; advance it with ``on_bar`` as each new bar opens."""

    def __init__(
        self,
        cash: Decimal,
        clock: Clock,
        commission: PerShareCommission | None = None,
        multipliers: Mapping[InstrumentId, Decimal] | None = None,
    ) -> None:
        self._cash = cash
        self._clock = clock
        self._commission = commission or PerShareCommission()
        self._multipliers = dict(multipliers or {})
        self._orders: dict[ClientOrderId, Order] = {}
        self._working: list[ClientOrderId] = []
        self._positions: dict[InstrumentId, Position] = {}
        self._fills: list[Fill] = []

    def submit(self, intent: OrderIntent) -> Order:
        """Accept an order to be filled at the next bar's open."""
        if intent.client_order_id in self._orders:
            msg = f"duplicate client order id {intent.client_order_id}"
            raise BrokerError(msg)
        if intent.order_type is not OrderType.MARKET:
            msg = f"{intent.client_order_id}: the simulated venue only supports market orders so far"
            raise BrokerError(msg)
        order = Order(
            intent=intent,
            status=OrderStatus.ACCEPTED,
            updated_at=self._clock.now(),
            broker_order_id=f"sim-{len(self._orders) + 1}",
        )
        self._orders[intent.client_order_id] = order
        self._working.append(intent.client_order_id)
        return order

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """Cancel a working order."""
        order = self._orders.get(client_order_id)
        if order is None:
            msg = f"unknown client order id {client_order_id}"
            raise BrokerError(msg)
        if order.status.is_terminal:
            return order
        cancelled = replace(order, status=OrderStatus.CANCELLED, updated_at=self._clock.now())
        self._orders[client_order_id] = cancelled
        self._working.remove(client_order_id)
        return cancelled

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """Latest state of an order, or None if never seen."""
        return self._orders.get(client_order_id)

    def open_orders(self) -> Sequence[Order]:
        """Orders still working."""
        return [self._orders[c] for c in self._working]

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        """Fills after position ``cursor`` and the new cursor."""
        return self._fills[cursor:], len(self._fills)

    def positions(self) -> Mapping[InstrumentId, Position]:
        """Non-zero positions."""
        return dict(self._positions)

    def cash(self) -> Decimal:
        """Cash balance."""
        return self._cash

    def on_bar(self, instrument: InstrumentId, open_price: float, at: datetime) -> tuple[Fill, ...]:
        """A new bar of ``instrument`` opened at ``open_price``: fill its working market orders."""
        price = to_decimal(open_price)
        filled: list[Fill] = []
        for coid in [c for c in self._working if self._orders[c].intent.instrument == instrument]:
            filled.append(self._fill(self._orders[coid], price, at))
            self._working.remove(coid)
        return tuple(filled)

    def _fill(self, order: Order, price: Decimal, at: datetime) -> Fill:
        intent = order.intent
        commission = self._commission(intent.quantity, price)
        signed = intent.quantity * intent.side.sign
        multiplier = self._multipliers.get(intent.instrument, Decimal(1))
        self._cash -= signed * price * multiplier + commission
        self._apply_position(intent.instrument, signed, price)
        fill = Fill(
            execution_id=ExecutionId(f"simx-{len(self._fills) + 1}"),
            client_order_id=intent.client_order_id,
            instrument=intent.instrument,
            side=intent.side,
            quantity=intent.quantity,
            price=price,
            commission=commission,
            at=at,
            correlation_id=intent.correlation_id,
        )
        self._fills.append(fill)
        self._orders[intent.client_order_id] = replace(
            order,
            status=OrderStatus.FILLED,
            updated_at=at,
            filled_quantity=intent.quantity,
            average_fill_price=price,
        )
        return fill

    def _apply_position(self, instrument: InstrumentId, signed: Decimal, price: Decimal) -> None:
        current = self._positions.get(instrument)
        held = current.quantity if current else ZERO
        new_qty = held + signed
        if new_qty == 0:
            self._positions.pop(instrument, None)
            return
        if current is None or held == 0 or (held > 0) != (new_qty > 0):
            average = price
        elif (held > 0) == (signed > 0):
            average = (current.average_price * held + price * signed) / new_qty
        else:
            average = current.average_price
        self._positions[instrument] = Position(instrument, new_qty, average)
