"""Step 9: the OMS. Sends intents through a broker exactly once, collects fills once each, and
reconciles positions with the broker, which is the authority.

Crash safety rests on three habits:

1. Write before send. The intent and a NEW order row are committed before ``Broker.submit``. A
   restarted daemon that re-runs the same cycle re-derives the same client order ids, finds them
   already recorded, and asks the broker about them before doing anything else.
2. Look up before retry. A submit whose outcome is unknown (timeout, dropped link) is never simply
   re-sent: the order is looked up by client order id (with exponential backoff and jitter) and
   only re-sent if the broker has never seen it.
3. Fills by execution id. Every fill is stored under its execution id; a repeat is ignored, so a
   replayed stream or a reconnect's catch-up can never double a position.

Reconciliation compares the positions implied by our own fills (seeded with the broker's
positions the first time the store is used) with the broker's. A difference beyond tolerance
halts trading (persisted, so a restart stays halted) and raises an alarm instead of guessing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from qgtm_core import (
    ZERO,
    AccountState,
    Broker,
    BrokerError,
    ClientOrderId,
    Clock,
    CorrelationId,
    ExecutionReport,
    Fill,
    InstrumentId,
    KeyValueStore,
    Order,
    OrderIntent,
    OrderStatus,
    OrderStore,
    Universe,
)
from qgtm_execution._errors import BrokerDisconnectedError, ReconciliationError, SubmitOutcomeUnknownError
from qgtm_execution._routing import parse_slice
from qgtm_execution._state_machine import advance, new_order

__all__ = ["BrokerExecutor", "ExecutionPolicy"]

_log = logging.getLogger("qgtm.execution")

CURSOR_KEY = "execution.fill_cursor"
HALT_KEY = "execution.halted"
BASELINE_KEY = "execution.baseline_positions"


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    """Tolerances and retry pacing of the OMS."""

    position_tolerance: Decimal = ZERO
    submit_attempts: int = 3
    backoff_seconds: float = 0.05
    backoff_max_seconds: float = 2.0
    slice_interval: timedelta = timedelta(minutes=5)


def _cycle_time(correlation_id: CorrelationId) -> datetime:
    """The second a correlation id (``sig-YYYYMMDD-HHMMSS-xxxx``) was minted."""
    return datetime.strptime(correlation_id[4:19], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)


class BrokerExecutor:
    """Implements ``Executor`` over any ``Broker``: the order management system."""

    def __init__(
        self,
        broker: Broker,
        orders: OrderStore,
        state: KeyValueStore,
        universe: Universe,
        clock: Clock,
        initial_positions: Mapping[InstrumentId, Decimal] | None = None,
        *,
        policy: ExecutionPolicy | None = None,
        on_alarm: Callable[[str], None] | None = None,
    ) -> None:
        self._broker = broker
        self._orders = orders
        self._state = state
        self._universe = universe
        self._clock = clock
        self._policy = policy or ExecutionPolicy()
        self._on_alarm = on_alarm
        self._book: dict[ClientOrderId, Order] = {o.client_order_id: o for o in orders.orders()}
        baseline = self._baseline(initial_positions)
        self._ours: dict[InstrumentId, Decimal] = defaultdict(lambda: ZERO, baseline)
        self._accounted: dict[ClientOrderId, Decimal] = defaultdict(lambda: ZERO)
        for fill in orders.fills():
            self._ours[fill.instrument] += fill.quantity * fill.side.sign
            self._accounted[fill.client_order_id] += fill.quantity

    # ------------------------------------------------------------------ state

    def _baseline(self, initial: Mapping[InstrumentId, Decimal] | None) -> dict[InstrumentId, Decimal]:
        """Positions held before the first fill this store saw, persisted on first use."""
        stored = self._state.get(BASELINE_KEY)
        if isinstance(stored, dict):
            return {InstrumentId(k): Decimal(str(v)) for k, v in stored.items()}
        if initial is None:
            # First start against an account: whatever the broker holds is the starting point.
            initial = {i: p.quantity for i, p in self._broker.positions().items()} if not self._orders.fills() else {}
        self._state.put(BASELINE_KEY, {str(k): str(v) for k, v in initial.items()})
        return dict(initial)

    @property
    def halted(self) -> str | None:
        """The alarm that halted trading, or None while trading is allowed."""
        value = self._state.get(HALT_KEY)
        return value if isinstance(value, str) else None

    def resume_trading(self) -> None:
        """Clear a halt after an operator has fixed the books (never automatic)."""
        self._state.put(HALT_KEY, None)

    def positions(self) -> dict[InstrumentId, Decimal]:
        """Non-zero positions implied by our own fills."""
        return {i: q for i, q in self._ours.items() if q != 0}

    def book(self) -> dict[ClientOrderId, Order]:
        """Every order the OMS knows, by client order id."""
        return dict(self._book)

    # ------------------------------------------------------------------ broker calls

    def _retrying(self) -> Retrying:
        p = self._policy
        return Retrying(
            stop=stop_after_attempt(p.submit_attempts),
            wait=wait_random_exponential(multiplier=p.backoff_seconds, max=p.backoff_max_seconds),
            retry=retry_if_exception_type(BrokerDisconnectedError),
            reraise=True,
        )

    def _lookup(self, client_order_id: ClientOrderId) -> Order | None:
        """The broker's view of one order, retried across a flaky link."""
        for attempt in self._retrying():
            with attempt:
                return self._broker.order(client_order_id)
        return None  # pragma: no cover -- Retrying with reraise=True either returns or raises

    def _store(self, order: Order) -> Order:
        current = self._book.get(order.client_order_id)
        merged = order if current is None else advance(current, order)
        self._book[merged.client_order_id] = merged
        self._orders.update_order(merged)
        return merged

    def _reject(self, intent: OrderIntent, reason: str) -> Order:
        current = self._book[intent.client_order_id]
        return self._store(
            replace(current, status=OrderStatus.REJECTED, updated_at=self._clock.now(), reject_reason=reason)
        )

    def _send(self, intent: OrderIntent) -> Order:
        """Submit once: durable intent first, lookup before any (re)send."""
        fresh = self._orders.record_intent(intent)
        if not fresh:
            known = self._lookup(intent.client_order_id)
            if known is not None:
                return self._store(known)
            stored = self._book.get(intent.client_order_id)
            if stored is not None and stored.status is not OrderStatus.NEW:
                return stored  # rejected or expired before the broker saw it: never resend
        if intent.client_order_id not in self._book:
            self._store(new_order(intent, self._clock.now()))
        for _ in range(self._policy.submit_attempts):
            try:
                return self._store(self._broker.submit(intent))
            except (SubmitOutcomeUnknownError, BrokerDisconnectedError) as exc:
                _log.warning("%s: submit outcome unknown (%s); looking it up", intent.client_order_id, exc)
                try:
                    known = self._lookup(intent.client_order_id)
                except BrokerDisconnectedError:
                    continue
                if known is not None:
                    return self._store(known)
            except BrokerError as exc:
                known = self._lookup(intent.client_order_id)
                if known is not None:
                    return self._store(known)
                return self._reject(intent, str(exc))
        return self._book[intent.client_order_id]  # still NEW: the next cycle's lookup settles it

    def _due(self, intent: OrderIntent, now: datetime) -> bool:
        sliced = parse_slice(intent.leg)
        if sliced is None or sliced[0] == 1:
            return True
        return now >= _cycle_time(intent.correlation_id) + (sliced[0] - 1) * self._policy.slice_interval

    def _release_and_expire(self, correlation_id: CorrelationId, now: datetime) -> list[Order]:
        """Send slices whose time has come; expire NEW orders a restart left behind."""
        sent: list[Order] = []
        for order in [o for o in self._book.values() if o.status is OrderStatus.NEW]:
            if order.intent.correlation_id == correlation_id:
                continue
            if parse_slice(order.intent.leg) is not None and self._due(order.intent, now):
                sent.append(self._send(order.intent))
            elif parse_slice(order.intent.leg) is None:
                known = self._lookup(order.client_order_id)
                expired = replace(
                    order, status=OrderStatus.EXPIRED, updated_at=now, reject_reason="not sent; superseded"
                )
                sent.append(self._store(known if known is not None else expired))
        return sent

    # ------------------------------------------------------------------ fills and reconciliation

    def _collect_fills(self, cursor: int | None = None) -> tuple[Fill, ...]:
        stored = self._state.get(CURSOR_KEY)
        start = cursor if cursor is not None else (stored if isinstance(stored, int) else 0)
        fills, new_cursor = self._broker.fills_since(start)
        fresh = tuple(booked for f in fills if (booked := self._book_fill(f)) is not None)
        self._state.put(CURSOR_KEY, new_cursor)
        for coid in {f.client_order_id for f in fresh}:
            self._refresh(coid)
        return fresh

    def _book_fill(self, fill: Fill) -> Fill | None:
        """Record a fill once, never beyond its order's quantity.

        A broker that reports cumulative snapshots under different ids (a sweep after a restart
        aggregates fills a stream had reported one by one) would otherwise count the same shares
        twice; clipping to the order's unaccounted quantity makes every share count once.
        """
        coid = fill.client_order_id
        if coid not in self._book:
            self._refresh(coid)
        order = self._book.get(coid)
        quantity = fill.quantity
        if order is not None:
            quantity = min(quantity, order.intent.quantity - self._accounted[coid])
        if quantity <= 0:
            return None
        booked = fill if quantity == fill.quantity else replace(fill, quantity=quantity)
        if not self._orders.record_fill(booked):
            return None
        self._ours[fill.instrument] += quantity * fill.side.sign
        self._accounted[coid] += quantity
        return booked

    def _refresh(self, client_order_id: ClientOrderId) -> None:
        updated = self._broker.order(client_order_id)
        if updated is None:
            return
        if client_order_id not in self._book:
            # A fill for an order this store never recorded: adopt the broker's record of it.
            self._orders.record_intent(updated.intent)
        self._store(updated)

    def _differences(self, broker_positions: Mapping[InstrumentId, Decimal]) -> tuple[str, ...]:
        ours = self._ours
        return tuple(
            f"{i}: ours {ours[i]} broker {broker_positions.get(i, ZERO)}"
            for i in sorted(set(ours) | set(broker_positions))
            if abs(ours[i] - broker_positions.get(i, ZERO)) > self._policy.position_tolerance
        )

    def _halt(self, notes: Sequence[str]) -> str:
        alarm = "RECONCILIATION MISMATCH, trading halted: " + "; ".join(notes)
        self._state.put(HALT_KEY, alarm)
        _log.error(alarm)
        if self._on_alarm is not None:
            self._on_alarm(alarm)
        return alarm

    def reconcile(self) -> tuple[Fill, ...]:
        """Start-up and periodic reconciliation: rebuild from the broker's reports, then compare.

        Recovers fills missed while down or disconnected (the whole fill history is re-read and
        deduplicated by execution id), brings every open order to the broker's status, and raises
        ``ReconciliationError`` (after halting) if positions still disagree beyond tolerance.
        """
        fills = self._collect_fills(cursor=0)
        for order in [o for o in self._book.values() if not o.status.is_terminal]:
            known = self._broker.order(order.client_order_id)
            if known is not None:
                self._store(known)
        for broker_order in self._broker.open_orders():
            if broker_order.client_order_id not in self._book:
                self._orders.record_intent(broker_order.intent)
                self._store(broker_order)
        notes = self._differences({i: p.quantity for i, p in self._broker.positions().items()})
        if notes:
            raise ReconciliationError(self._halt(notes))
        return fills

    # ------------------------------------------------------------------ Executor port

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

    def execute(
        self,
        intents: Sequence[OrderIntent],
        correlation_id: CorrelationId,
        marks: Mapping[InstrumentId, Decimal],
    ) -> ExecutionReport:
        """Submit (unless halted), collect fills, reconcile."""
        now = self._clock.now()
        orders: list[Order] = []
        notes: list[str] = []
        halted = self.halted
        if halted is not None:
            notes.append(f"not sending {len(intents)} intents: {halted}")
        else:
            orders += self._release_and_expire(correlation_id, now)
            for intent in intents:
                if self._due(intent, now):
                    orders.append(self._send(intent))
                elif self._orders.record_intent(intent):
                    self._store(new_order(intent, now))  # a later slice: durable now, sent when due
        fills = self._collect_fills()
        account = self.account(marks)
        differences = self._differences({i: p.quantity for i, p in account.positions.items()})
        if differences:
            # An asynchronous broker may have filled between our fill read and its position read.
            fills += self._collect_fills()
            account = self.account(marks)
            differences = self._differences({i: p.quantity for i, p in account.positions.items()})
        if differences and halted is None:
            notes.append(self._halt(differences))
        notes += differences
        return ExecutionReport(
            orders=tuple(orders), fills=fills, account=account, reconciled=not differences, notes=tuple(notes)
        )
