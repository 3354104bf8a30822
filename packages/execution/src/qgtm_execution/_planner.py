"""Step 8: the difference between current and target positions becomes order intents.

Quantities are rounded toward zero to the lot size, so rounding can only shrink what risk approved;
changes smaller than ``min_trade_weight`` of equity are skipped to avoid churning on noise.
Client order ids are derived from the correlation id, instrument and leg, so re-running the same
cycle after a crash yields the same ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from qgtm_core import (
    ZERO,
    AccountState,
    CorrelationId,
    InstrumentId,
    OrderIntent,
    PipelineError,
    Side,
    TargetPortfolio,
    Universe,
    client_order_id_for,
    to_decimal,
)

__all__ = ["TargetOrderPlanner"]


class TargetOrderPlanner:
    """Implements ``OrderPlanner`` with market orders."""

    def __init__(self, universe: Universe, min_trade_weight: float = 0.01) -> None:
        self._universe = universe
        self._min_trade = min_trade_weight

    def plan(
        self,
        target: TargetPortfolio,
        account: AccountState,
        marks: Mapping[InstrumentId, Decimal],
        correlation_id: CorrelationId,
    ) -> tuple[OrderIntent, ...]:
        """Intents in instrument order (deterministic)."""
        equity = account.equity
        if equity <= 0:
            return ()
        intents: list[OrderIntent] = []
        for instrument_id in sorted(set(target.weights) | set(account.positions)):
            weight = target.weights.get(instrument_id, 0.0)
            if abs(weight - account.weight(instrument_id)) < self._min_trade:
                continue
            mark = marks.get(instrument_id)
            if mark is None or mark <= 0:
                msg = f"order management: no price for {instrument_id}, cannot size its order"
                raise PipelineError(msg)
            instrument = self._universe[instrument_id]
            wanted = instrument.round_quantity(to_decimal(weight) * equity / (mark * instrument.multiplier))
            held = account.positions[instrument_id].quantity if instrument_id in account.positions else ZERO
            delta = wanted - held
            if delta == 0:
                continue
            side = Side.BUY if delta > 0 else Side.SELL
            intents.append(
                OrderIntent(
                    client_order_id=client_order_id_for(correlation_id, instrument_id, "entry"),
                    correlation_id=correlation_id,
                    instrument=instrument_id,
                    side=side,
                    quantity=abs(delta),
                    reason=f"rebalance {held} -> {wanted} (target weight {weight:.4f})",
                )
            )
        return tuple(intents)
