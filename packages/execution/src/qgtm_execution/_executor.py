"""Step 9: send intents through a broker, collect fills once each, and reconcile positions.

Every intent is stored before it is submitted. If the store already had it (a restart re-ran the
cycle), the broker is asked about that client order id first and the order is only sent if the
broker has never seen it. Fills are deduplicated by execution id. After each cycle the positions
implied by our own fills (a running sum, seeded from the store at start-up) are compared with the
broker's; the broker is the authority.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from qgtm_core import (
    ZERO,
    AccountState,
    Broker,
    Clock,
    CorrelationId,
    ExecutionReport,
    Fill,
    InstrumentId,
    KeyValueStore,
    Order,
    OrderIntent,
    OrderStore,
    Universe,
)

__all__ = ["BrokerExecutor"]

_CURSOR_KEY = "execution.fill_cursor"


class BrokerExecutor:
    """Implements ``Executor`` over any ``Broker``."""

    def __init__(
        self,
        broker: Broker,
        orders: OrderStore,
        state: KeyValueStore,
        universe: Universe,
        clock: Clock,
        initial_positions: Mapping[InstrumentId, Decimal] | None = None,
    ) -> None:
        self._broker = broker
        self._orders = orders
        self._state = state
        self._universe = universe
        self._clock = clock
        self._ours: dict[InstrumentId, Decimal] = defaultdict(lambda: ZERO, initial_positions or {})
        for fill in orders.fills():
            self._ours[fill.instrument] += fill.quantity * fill.side.sign

    def account(self, marks: Mapping[InstrumentId, Decimal]) -> AccountState:
        """Account as the broker reports it, marked at ``marks``."""
        positions = self._broker.positions()
        return AccountState(
            at=self._clock.now(),
            cash=self._broker.cash(),
            positions=dict(positions),
            marks=dict(marks),
            multipliers={i: self._universe[i].multiplier for i in positions},
        )

    def _submit(self, intent: OrderIntent) -> Order:
        if self._orders.record_intent(intent):
            return self._broker.submit(intent)
        known = self._broker.order(intent.client_order_id)
        return known if known is not None else self._broker.submit(intent)

    def _collect_fills(self) -> tuple[Fill, ...]:
        cursor = self._state.get(_CURSOR_KEY)
        fills, new_cursor = self._broker.fills_since(cursor if isinstance(cursor, int) else 0)
        fresh = tuple(f for f in fills if self._orders.record_fill(f))
        for fill in fresh:
            self._ours[fill.instrument] += fill.quantity * fill.side.sign
        self._state.put(_CURSOR_KEY, new_cursor)
        return fresh

    def _reconcile(self, broker_positions: Mapping[InstrumentId, Decimal]) -> tuple[bool, tuple[str, ...]]:
        ours = self._ours
        notes = tuple(
            f"{i}: ours {ours[i]} broker {broker_positions.get(i, ZERO)}"
            for i in sorted(set(ours) | set(broker_positions))
            if ours[i] != broker_positions.get(i, ZERO)
        )
        return not notes, notes

    def execute(
        self,
        intents: Sequence[OrderIntent],
        correlation_id: CorrelationId,
        marks: Mapping[InstrumentId, Decimal],
    ) -> ExecutionReport:
        """Submit, collect fills, reconcile."""
        orders = []
        for intent in intents:
            order = self._submit(intent)
            self._orders.update_order(order)
            orders.append(order)
        fills = self._collect_fills()
        for fill in fills:
            updated = self._broker.order(fill.client_order_id)
            if updated is not None:
                self._orders.update_order(updated)
        account = self.account(marks)
        reconciled, notes = self._reconcile({i: p.quantity for i, p in account.positions.items()})
        return ExecutionReport(orders=tuple(orders), fills=fills, account=account, reconciled=reconciled, notes=notes)
