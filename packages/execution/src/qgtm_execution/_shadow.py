"""Shadow mode's step 9: everything up to the order is computed, nothing is ever sent.

``ShadowExecutor`` reads the account from a source (the real broker in shadow mode, the logged
account when a decision log is replayed offline) and answers every ``execute`` with no orders:
it holds no reference to anything that can submit, so it cannot send one by mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from qgtm_core import (
    AccountState,
    Broker,
    Clock,
    CorrelationId,
    ExecutionReport,
    InstrumentId,
    OrderIntent,
    Universe,
)

__all__ = ["AccountSource", "ShadowExecutor", "broker_account"]

AccountSource = Callable[[Mapping[InstrumentId, Decimal]], AccountState]
"""Marks in, account out."""


def broker_account(broker: Broker, universe: Universe, clock: Clock) -> AccountSource:
    """Read-only account view of a broker (positions and cash only; no order calls)."""
    positions_of = broker.positions
    cash_of = broker.cash

    def account(marks: Mapping[InstrumentId, Decimal]) -> AccountState:
        positions = dict(positions_of())
        return AccountState(
            at=clock.now(),
            cash=cash_of(),
            positions=positions,
            marks=dict(marks),
            multipliers={i: universe[i].multiplier for i in positions},
        )

    return account


class ShadowExecutor:
    """Implements ``Executor`` without ever sending: ``execute`` only reports what it would do."""

    def __init__(self, account: AccountSource) -> None:
        self._account = account
        self.withheld = 0

    def account(self, marks: Mapping[InstrumentId, Decimal]) -> AccountState:
        """The account from the source."""
        return self._account(marks)

    def execute(
        self,
        intents: Sequence[OrderIntent],
        correlation_id: CorrelationId,
        marks: Mapping[InstrumentId, Decimal],
    ) -> ExecutionReport:
        """Withhold every intent; report the account unchanged."""
        self.withheld += len(intents)
        note = f"shadow: {len(intents)} intents withheld, none sent"
        return ExecutionReport(orders=(), fills=(), account=self._account(marks), reconciled=True, notes=(note,))
