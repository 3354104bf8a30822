"""An in-memory broker for OMS tests: accepts orders, fills them on demand, and misbehaves on request.

Faults it can script: a lost acknowledgement (the order was accepted but the caller sees an
unknown outcome), a submit that times out before the broker saw it, a lookup over a dead link,
and an outright refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from qgtm_core import (
    BrokerError,
    ClientOrderId,
    ExecutionId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    Position,
)
from qgtm_execution import BrokerDisconnectedError, SubmitOutcomeUnknownError

__all__ = ["ScriptedBroker"]

_T0 = datetime(2024, 3, 1, 21, 15, tzinfo=UTC)


class ScriptedBroker:
    """Implements ``Broker``; fill with ``fill``, script faults with the public counters."""

    def __init__(self, cash: Decimal = Decimal(100_000), at: datetime = _T0) -> None:
        self.at = at
        self.orders: dict[ClientOrderId, Order] = {}
        self.fills: list[Fill] = []
        self.pos: dict[InstrumentId, Decimal] = {}
        self.cash_ = cash
        self.submits: list[ClientOrderId] = []
        self.lose_ack: int = 0  # accept, then report an unknown outcome this many times
        self.drop_before: int = 0  # refuse (disconnected) before accepting this many times
        self.lookup_down: int = 0
        self.refuse: str | None = None

    def submit(self, intent: OrderIntent) -> Order:
        """Accept (or fail as scripted)."""
        self.submits.append(intent.client_order_id)
        if self.drop_before:
            self.drop_before -= 1
            raise SubmitOutcomeUnknownError("timeout before the broker saw it")
        if self.refuse:
            raise BrokerError(self.refuse)
        if intent.client_order_id in self.orders:
            raise BrokerError(f"duplicate client order id {intent.client_order_id}")
        order = Order(intent, OrderStatus.ACCEPTED, self.at, broker_order_id=f"b{len(self.orders)}")
        self.orders[intent.client_order_id] = order
        if self.lose_ack:
            self.lose_ack -= 1
            raise SubmitOutcomeUnknownError("response lost")
        return order

    def fill(self, coid: str, qty: Decimal, price: Decimal = Decimal(100), exec_id: str | None = None) -> Fill:
        """Execute ``qty`` of an order (``exec_id`` repeats an execution id to fake a duplicate report)."""
        order = self.orders[ClientOrderId(coid)]
        intent = order.intent
        done = order.filled_quantity + qty
        self.orders[intent.client_order_id] = replace(
            order,
            status=OrderStatus.FILLED if done == intent.quantity else OrderStatus.PARTIALLY_FILLED,
            filled_quantity=done,
            average_fill_price=price,
        )
        fill = Fill(
            ExecutionId(exec_id or f"x{len(self.fills) + 1}"),
            intent.client_order_id,
            intent.instrument,
            intent.side,
            qty,
            price,
            Decimal(1),
            self.at,
            intent.correlation_id,
        )
        self.fills.append(fill)
        self.pos[intent.instrument] = self.pos.get(intent.instrument, Decimal(0)) + qty * intent.side.sign
        return fill

    def on_bar(self, instrument: InstrumentId, open_price: float, at: datetime) -> tuple[Fill, ...]:
        """The market moves: fill every working order of ``instrument`` at ``open_price``."""
        working = [o for o in self.open_orders() if o.intent.instrument == instrument]
        return tuple(self.fill(o.client_order_id, o.remaining, Decimal(str(open_price))) for o in working)

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """Cancel."""
        order = replace(self.orders[client_order_id], status=OrderStatus.CANCELLED)
        self.orders[client_order_id] = order
        return order

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """Look up (or fail as scripted)."""
        if self.lookup_down:
            self.lookup_down -= 1
            raise BrokerDisconnectedError("link down")
        return self.orders.get(client_order_id)

    def open_orders(self) -> Sequence[Order]:
        """Working orders."""
        return [o for o in self.orders.values() if not o.status.is_terminal]

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        """Fills after ``cursor``."""
        return self.fills[cursor:], len(self.fills)

    def positions(self) -> Mapping[InstrumentId, Position]:
        """Non-zero positions."""
        return {i: Position(i, q, Decimal(100)) for i, q in self.pos.items() if q}

    def cash(self) -> Decimal:
        """Cash."""
        return self.cash_
