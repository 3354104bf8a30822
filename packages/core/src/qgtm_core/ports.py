"""Ports: the small Protocols through which packages meet. One job each.

Steps 1-10 of the pipeline each have a port; ``Clock``, ``MarketDataSource``, ``Broker``,
``OrderStore``, ``KeyValueStore``, ``AuditLog`` and ``EventBus`` are the edges to the world.
A package implements a port structurally (no inheritance needed); the app wires implementations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from qgtm_core.audit import AuditEntry, AuditRecord
from qgtm_core.canonical import JsonValue
from qgtm_core.decisions import ComplianceResult, FilterResult, RiskResult
from qgtm_core.ids import ClientOrderId, CorrelationId, InstrumentId
from qgtm_core.market import Bar
from qgtm_core.observations import PitSnapshot
from qgtm_core.orders import AccountState, ExecutionReport, Fill, Order, OrderIntent, Position
from qgtm_core.portfolio import TargetPortfolio
from qgtm_core.signals import FeatureSet, Signal

__all__ = [
    "AuditLog",
    "Broker",
    "Clock",
    "ComplianceGate",
    "EventBus",
    "Executor",
    "FeatureEngine",
    "KeyValueStore",
    "MarketDataSource",
    "OrderPlanner",
    "OrderStore",
    "PointInTimeSource",
    "RiskGate",
    "SignalAggregator",
    "SignalFilter",
    "SignalGenerator",
    "Strategy",
]


@runtime_checkable
class Clock(Protocol):
    """Source of 'now' for every step; replay, manual or wall time."""

    def now(self) -> datetime: ...


class MarketDataSource(Protocol):
    """Bars as they become available; live feeds and replays both implement it."""

    def bars_between(self, start: datetime, end: datetime) -> Iterable[Bar]: ...


# ------------------------------------------------------------------ the ten steps


class PointInTimeSource(Protocol):
    """Step 1: everything knowable at ``at`` and nothing after it."""

    def snapshot(self, at: datetime) -> PitSnapshot: ...


class FeatureEngine(Protocol):
    """Step 2: snapshot to the latest feature values per instrument."""

    def compute(self, snapshot: PitSnapshot) -> FeatureSet: ...


class Strategy(Protocol):
    """One alpha: features in, signals out (never orders)."""

    @property
    def name(self) -> str: ...

    def generate(self, features: FeatureSet) -> Sequence[Signal]: ...


class SignalGenerator(Protocol):
    """Step 3: all enabled strategies run on the same features."""

    def generate(self, features: FeatureSet) -> tuple[Signal, ...]: ...


class SignalAggregator(Protocol):
    """Step 4: many signals into one target portfolio with explanations."""

    def aggregate(self, signals: Sequence[Signal], features: FeatureSet) -> TargetPortfolio: ...


class SignalFilter(Protocol):
    """Step 5: regime and meta-label filter keeps, reduces or rejects each signal."""

    def filter(self, target: TargetPortfolio, signals: Sequence[Signal], features: FeatureSet) -> FilterResult: ...


class ComplianceGate(Protocol):
    """Step 6: rules over the target given the account and its history."""

    def check(self, target: TargetPortfolio, account: AccountState) -> ComplianceResult: ...


class RiskGate(Protocol):
    """Step 7: limits, posture and kill switch."""

    def assess(self, target: TargetPortfolio, account: AccountState, features: FeatureSet) -> RiskResult: ...


class OrderPlanner(Protocol):
    """Step 8: current vs target positions into order intents with idempotency keys."""

    def plan(
        self,
        target: TargetPortfolio,
        account: AccountState,
        marks: Mapping[InstrumentId, Decimal],
        correlation_id: CorrelationId,
    ) -> tuple[OrderIntent, ...]: ...


class Executor(Protocol):
    """Step 9: send intents through the broker, collect fills, reconcile positions."""

    def account(self, marks: Mapping[InstrumentId, Decimal]) -> AccountState: ...

    def execute(
        self,
        intents: Sequence[OrderIntent],
        correlation_id: CorrelationId,
        marks: Mapping[InstrumentId, Decimal],
    ) -> ExecutionReport: ...


class AuditLog(Protocol):
    """Step 10: append-only, hash-linked record of every step."""

    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def flush(self) -> None: ...


# ------------------------------------------------------------------ edges


class Broker(Protocol):
    """The broker is a dumb pipe: it takes orders and reports what happened, nothing more."""

    def submit(self, intent: OrderIntent) -> Order: ...

    def cancel(self, client_order_id: ClientOrderId) -> Order: ...

    def order(self, client_order_id: ClientOrderId) -> Order | None: ...

    def open_orders(self) -> Sequence[Order]: ...

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]: ...

    def positions(self) -> Mapping[InstrumentId, Position]: ...

    def cash(self) -> Decimal: ...


class OrderStore(Protocol):
    """Durable OMS state: intents are written before they are sent; fills are deduplicated."""

    def record_intent(self, intent: OrderIntent) -> bool: ...

    def update_order(self, order: Order) -> None: ...

    def orders(self) -> Sequence[Order]: ...

    def record_fill(self, fill: Fill) -> bool: ...

    def fills(self) -> Sequence[Fill]: ...


class KeyValueStore(Protocol):
    """Small durable state (kill switch, cursors, peaks) that must survive a restart."""

    def get(self, key: str) -> JsonValue: ...

    def put(self, key: str, value: JsonValue) -> None: ...


class EventBus(Protocol):
    """Publish/subscribe of JSON events: in-process by default, Redis when configured."""

    def publish(self, topic: str, event: Mapping[str, JsonValue]) -> None: ...

    def subscribe(self, topic: str, handler: Callable[[Mapping[str, JsonValue]], None]) -> None: ...
