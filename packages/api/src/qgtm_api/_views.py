"""Response and request bodies of the REST API (the OpenAPI schema is generated from these).

Money and quantities are ``Decimal`` and travel as JSON strings, so no client ever rounds a price
through a float. Every model is frozen and forbids unknown fields, so a typo in a request body is
a 422 naming the field rather than a silently ignored key.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = [
    "AuditRecordView",
    "BacktestRunView",
    "ComplianceBlockView",
    "FillView",
    "FlattenRequest",
    "FlattenView",
    "Health",
    "KillSwitchView",
    "OrderView",
    "PortfolioView",
    "PositionView",
    "ReasonRequest",
    "RiskView",
    "SignalView",
    "StrategyView",
    "TearSheetView",
    "WriteResult",
]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Health(_View):
    """Liveness answer; ``head_seq`` is the stream's latest sequence number."""

    status: str
    version: str
    at: datetime
    head_seq: int = 0


class PositionView(_View):
    """One position with its mark and P&L (realised from closed quantity, unrealised against the mark)."""

    instrument: str
    quantity: Decimal
    average_price: Decimal
    mark: Decimal
    market_value: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal


class PortfolioView(_View):
    """Cash, equity and positions at ``at`` (None before the first fill)."""

    at: datetime | None
    cash: Decimal
    equity: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    commissions: Decimal
    positions: list[PositionView]


class OrderView(_View):
    """The latest known state of one order."""

    client_order_id: str
    correlation_id: str
    instrument: str
    side: str
    quantity: Decimal
    order_type: str
    status: str
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    reject_reason: str | None
    updated_at: datetime


class FillView(_View):
    """One execution."""

    execution_id: str
    client_order_id: str
    correlation_id: str | None
    instrument: str
    side: str
    quantity: Decimal
    price: Decimal
    commission: Decimal
    at: datetime


class RiskView(_View):
    """The latest risk report: posture and kill switch, with whatever figures the source kept."""

    at: datetime
    correlation_id: str
    posture: str
    kill_switch: bool
    metrics: dict[str, float] = Field(default_factory=dict)


class ComplianceBlockView(_View):
    """A compliance rule that blocked or cut a trade in one cycle."""

    at: datetime
    correlation_id: str
    rule: str
    instrument: str | None = None
    message: str = ""


class SignalView(_View):
    """A strategy's signal as published."""

    strategy: str
    instrument: str
    direction: int
    conviction: float
    horizon_bars: int
    as_of: datetime
    family: str = "other"
    rationale: str = ""


class StrategyView(_View):
    """A configured strategy and whether an operator paused it."""

    name: str
    enabled: bool
    paused: bool


class AuditRecordView(_View):
    """One audit record of a correlation id's trace."""

    seq: int
    at: datetime
    correlation_id: str
    step: str
    actor: str
    input_digest: str
    output_digest: str
    prev_hash: str
    record_hash: str
    summary: JsonValue = None


class BacktestRunView(_View):
    """A stored run (paper replay or backtest) that has a tear sheet."""

    run_id: str
    created_at: datetime | None = None


class TearSheetView(_View):
    """The figures of one run (equity, drawdown, orders, fills ...), as stored by the run."""

    run_id: str
    metrics: dict[str, JsonValue]


class KillSwitchView(_View):
    """Kill-switch state."""

    tripped: bool
    reason: str | None = None
    at: datetime | None = None


class FlattenView(_View):
    """A flatten request the daemon will act on at its next cycle."""

    requested: bool
    reason: str
    at: datetime


class WriteResult(_View):
    """Answer to every write: what changed, who did it and the audit correlation id to trace it."""

    action: str
    actor: str
    correlation_id: str
    audit_seq: int
    kill_switch: KillSwitchView | None = None
    strategy: StrategyView | None = None
    flatten: FlattenView | None = None


class ReasonRequest(_View):
    """Body of kill-switch writes: a human reason that goes into the audit record."""

    reason: str = Field(min_length=3, max_length=200, description="why, for the audit record")


class FlattenRequest(_View):
    """Body of a flatten request."""

    reason: str = Field(min_length=3, max_length=200, description="why, for the audit record")
