"""Step 8: the difference between current and target positions becomes order intents.

Quantities are rounded toward zero to the lot size, so rounding can only shrink what risk approved;
limit prices are rounded to the tick by the router. Changes smaller than ``min_trade_weight`` of
equity are skipped to avoid churning on noise. Client order ids are derived from the correlation
id, instrument and leg, so re-running the same cycle after a crash yields the same ids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
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
    to_decimal,
)
from qgtm_execution._routing import MarketContext, Router

__all__ = ["MarketContextSource", "TargetOrderPlanner"]

MarketContextSource = Callable[[InstrumentId, Decimal], MarketContext]
"""Quote and volume for an instrument given its mark (a live feed); default: the mark alone."""


def _mark_only(instrument: InstrumentId, mark: Decimal) -> MarketContext:
    return MarketContext(mark=mark)


class TargetOrderPlanner:
    """Implements ``OrderPlanner``; market orders unless a ``Router`` policy says otherwise."""

    def __init__(
        self,
        universe: Universe,
        min_trade_weight: float = 0.01,
        router: Router | None = None,
        market: MarketContextSource | None = None,
    ) -> None:
        self._universe = universe
        self._min_trade = min_trade_weight
        self._router = router or Router()
        self._market = market or _mark_only

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
            weight = float(target.weights.get(instrument_id, 0.0))  # numpy scalars have a repr Decimal refuses
            if not math.isfinite(weight):
                msg = f"order management: target weight of {instrument_id} is {weight}; refusing to size an order"
                raise PipelineError(msg)
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
            intents += self._router.route(
                instrument,
                side,
                abs(delta),
                correlation_id,
                self._market(instrument_id, mark),
                opening=abs(wanted) > abs(held) and (held == 0 or (held > 0) == (wanted > 0)),
                reason=f"rebalance {held} -> {wanted} (target weight {weight:.4f})",
            )
        return tuple(intents)
