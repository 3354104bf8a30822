"""Orders, fills, positions and account state. Money and quantities are ``Decimal``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from qgtm_core.ids import ClientOrderId, CorrelationId, ExecutionId, InstrumentId
from qgtm_core.money import ZERO

__all__ = [
    "AccountState",
    "ExecutionReport",
    "Fill",
    "Order",
    "OrderIntent",
    "OrderStatus",
    "OrderType",
    "Position",
    "Side",
    "TimeInForce",
]


class Side(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buys, -1 for sells."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    """Order types every broker adapter must map."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    """How long an order works."""

    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    OPG = "opg"
    CLS = "cls"


class OrderStatus(StrEnum):
    """Order life cycle; legal transitions are enforced by the OMS state machine."""

    NEW = "new"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_PENDING = "cancel_pending"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """No further fills or transitions can happen."""
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What the OMS wants sent, written durably before it is sent.

    ``client_order_id`` is derived from the correlation id, instrument and ``leg`` so a restart
    re-derives it; ``parent`` links bracket legs (take-profit, stop) to their entry.
    """

    client_order_id: ClientOrderId
    correlation_id: CorrelationId
    instrument: InstrumentId
    side: Side
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    leg: str = "entry"
    parent: ClientOrderId | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            msg = f"{self.client_order_id}: order quantity must be positive, got {self.quantity}"
            raise ValueError(msg)
        if self.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and self.limit_price is None:
            msg = f"{self.client_order_id}: {self.order_type} order needs a limit price"
            raise ValueError(msg)
        if self.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and self.stop_price is None:
            msg = f"{self.client_order_id}: {self.order_type} order needs a stop price"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Order:
    """An intent plus what the broker has told us about it."""

    intent: OrderIntent
    status: OrderStatus
    updated_at: datetime
    broker_order_id: str | None = None
    filled_quantity: Decimal = ZERO
    average_fill_price: Decimal | None = None
    reject_reason: str | None = None

    @property
    def client_order_id(self) -> ClientOrderId:
        """The idempotency key."""
        return self.intent.client_order_id

    @property
    def remaining(self) -> Decimal:
        """Quantity still working."""
        return self.intent.quantity - self.filled_quantity


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. ``execution_id`` is unique per broker; a repeated id is a duplicate report."""

    execution_id: ExecutionId
    client_order_id: ClientOrderId
    instrument: InstrumentId
    side: Side
    quantity: Decimal
    price: Decimal
    commission: Decimal
    at: datetime
    correlation_id: CorrelationId | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Signed quantity (negative is short) and average entry price."""

    instrument: InstrumentId
    quantity: Decimal
    average_price: Decimal


@dataclass(frozen=True)
class AccountState:
    """Cash, positions and their marked value at one time. The broker is the authority."""

    at: datetime
    cash: Decimal
    positions: Mapping[InstrumentId, Position]
    marks: Mapping[InstrumentId, Decimal] = field(default_factory=dict)
    multipliers: Mapping[InstrumentId, Decimal] = field(default_factory=dict)

    def market_value(self, instrument: InstrumentId) -> Decimal:
        """Signed marked value of one position (zero when flat or unmarked)."""
        position = self.positions.get(instrument)
        if position is None:
            return ZERO
        mark = self.marks.get(instrument, position.average_price)
        return position.quantity * mark * self.multipliers.get(instrument, Decimal(1))

    @property
    def equity(self) -> Decimal:
        """Cash plus the marked value of every position."""
        return self.cash + sum((self.market_value(i) for i in self.positions), ZERO)

    def weight(self, instrument: InstrumentId) -> float:
        """Current signed weight of one instrument in equity."""
        equity = self.equity
        if equity <= 0:
            return 0.0
        return float(self.market_value(instrument) / equity)


@dataclass(frozen=True)
class ExecutionReport:
    """Step 9 output: the orders sent or updated, the fills received, the reconciled account."""

    orders: tuple[Order, ...]
    fills: tuple[Fill, ...]
    account: AccountState
    reconciled: bool = True
    notes: tuple[str, ...] = ()
