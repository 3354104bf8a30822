"""Sierra Chart through CSV files: we append orders to an order file, Sierra Chart (a spreadsheet
study or ACSIL routine reading it) appends executions to a fill file.

Order file columns: ``client_order_id, symbol, side, quantity, order_type, limit_price,
stop_price, time_in_force, submitted_at``. Fill file columns: ``execution_id, client_order_id,
symbol, side, quantity, price, commission, time``. Cancels are order rows with ``order_type``
``cancel``. The order file is the record of what was sent (a client order id already in it is
refused), the fill file the record of what happened; positions and cash follow from the fills.
A malformed fill row raises ``BrokerError`` naming the file, row and field.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from qgtm_core import (
    BrokerError,
    ClientOrderId,
    Clock,
    CorrelationId,
    ExecutionId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)

__all__ = ["SierraChartBroker"]

ORDER_COLUMNS = (
    "client_order_id", "symbol", "side", "quantity", "order_type", "limit_price", "stop_price", "time_in_force",
    "submitted_at",
)  # fmt: skip
FILL_COLUMNS = ("execution_id", "client_order_id", "symbol", "side", "quantity", "price", "commission", "time")
_CANCEL = "cancel"
_CORRELATION_LEN = len("sig-YYYYMMDD-HHMMSS-xxxx")


def _opt(text: str) -> Decimal | None:
    return Decimal(text) if text else None


class SierraChartBroker:
    """Implements ``Broker`` over a pair of CSV files shared with Sierra Chart."""

    def __init__(self, order_file: Path, fill_file: Path, cash: Decimal, clock: Clock) -> None:
        self._orders_path = order_file
        self._fills_path = fill_file
        self._cash = cash
        self._clock = clock
        order_file.parent.mkdir(parents=True, exist_ok=True)
        if not order_file.exists():
            with order_file.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerow(ORDER_COLUMNS)

    # ------------------------------------------------------------------ files

    def _order_rows(self) -> list[dict[str, str]]:
        with self._orders_path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def _intents(self) -> tuple[dict[ClientOrderId, OrderIntent], set[ClientOrderId], dict[ClientOrderId, datetime]]:
        intents: dict[ClientOrderId, OrderIntent] = {}
        cancelled: set[ClientOrderId] = set()
        sent_at: dict[ClientOrderId, datetime] = {}
        for row in self._order_rows():
            coid = ClientOrderId(row["client_order_id"])
            if row["order_type"] == _CANCEL:
                cancelled.add(coid)
                continue
            intents[coid] = OrderIntent(
                client_order_id=coid,
                correlation_id=CorrelationId(coid[:_CORRELATION_LEN] if coid.startswith("sig-") else "external"),
                instrument=InstrumentId(row["symbol"]),
                side=Side(row["side"]),
                quantity=Decimal(row["quantity"]),
                order_type=OrderType(row["order_type"]),
                time_in_force=TimeInForce(row["time_in_force"]),
                limit_price=_opt(row["limit_price"]),
                stop_price=_opt(row["stop_price"]),
            )
            sent_at[coid] = datetime.fromisoformat(row["submitted_at"])
        return intents, cancelled, sent_at

    def _append_order(self, row: Sequence[str]) -> None:
        with self._orders_path.open("a", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerow(row)
            fh.flush()
            os.fsync(fh.fileno())

    def _read_fills(self) -> list[Fill]:
        if not self._fills_path.exists():
            return []
        fills: list[Fill] = []
        with self._fills_path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = set(FILL_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                msg = f"{self._fills_path}: missing columns {', '.join(sorted(missing))}"
                raise BrokerError(msg)
            for n, row in enumerate(reader, start=2):
                field = ""
                try:
                    field = "side"
                    side = Side(row["side"].lower())
                    field = "quantity"
                    quantity = Decimal(row["quantity"])
                    field = "price"
                    price = Decimal(row["price"])
                    field = "commission"
                    commission = Decimal(row["commission"] or "0")
                    field = "time"
                    at = datetime.fromisoformat(row["time"])
                except (ValueError, InvalidOperation) as exc:
                    msg = f"{self._fills_path}:{n}: bad {field} {row.get(field)!r} ({exc})"
                    raise BrokerError(msg) from exc
                if quantity <= 0 or price <= 0 or at.tzinfo is None:
                    msg = f"{self._fills_path}:{n}: quantity and price must be positive and time timezone-aware"
                    raise BrokerError(msg)
                fills.append(
                    Fill(
                        ExecutionId(row["execution_id"]),
                        ClientOrderId(row["client_order_id"]),
                        InstrumentId(row["symbol"]),
                        side,
                        quantity,
                        price,
                        commission,
                        at,
                    )
                )
        return fills

    # ------------------------------------------------------------------ Broker port

    def submit(self, intent: OrderIntent) -> Order:
        """Append the order row (fsync'd); a client order id already in the file is refused."""
        if intent.client_order_id in self._intents()[0]:
            msg = f"sierra chart: duplicate client order id {intent.client_order_id}"
            raise BrokerError(msg)
        now = self._clock.now()
        self._append_order(
            (
                intent.client_order_id,
                intent.instrument,
                intent.side.value,
                str(intent.quantity),
                intent.order_type.value,
                "" if intent.limit_price is None else str(intent.limit_price),
                "" if intent.stop_price is None else str(intent.stop_price),
                intent.time_in_force.value,
                now.isoformat(),
            )
        )
        return Order(intent, OrderStatus.SUBMITTED, now)

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """Append a cancel row for a working order."""
        current = self.order(client_order_id)
        if current is None:
            msg = f"sierra chart: unknown client order id {client_order_id}"
            raise BrokerError(msg)
        if current.status.is_terminal:
            return current
        self._append_order((client_order_id, current.intent.instrument, "", "", _CANCEL, "", "", "", ""))
        return replace(current, status=OrderStatus.CANCEL_PENDING, updated_at=self._clock.now())

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """The order and its fills so far."""
        intents, cancelled, sent_at = self._intents()
        intent = intents.get(client_order_id)
        if intent is None:
            return None
        mine = [f for f in self._read_fills() if f.client_order_id == client_order_id]
        filled = sum((f.quantity for f in mine), Decimal(0))
        if filled >= intent.quantity:
            status = OrderStatus.FILLED
        elif client_order_id in cancelled:
            status = OrderStatus.CANCELLED
        else:
            status = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.SUBMITTED
        average = sum((f.price * f.quantity for f in mine), Decimal(0)) / filled if filled else None
        at = max((f.at for f in mine), default=sent_at[client_order_id])
        return Order(intent, status, at, None, filled, average)

    def open_orders(self) -> Sequence[Order]:
        """Orders not filled or cancelled."""
        orders = [self.order(c) for c in self._intents()[0]]
        return [o for o in orders if o is not None and not o.status.is_terminal]

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        """Rows of the fill file after ``cursor``."""
        fills = self._read_fills()
        return fills[cursor:], len(fills)

    def positions(self) -> Mapping[InstrumentId, Position]:
        """Net positions from the fills (average price of the current side)."""
        qty: dict[InstrumentId, Decimal] = {}
        cost: dict[InstrumentId, Decimal] = {}
        for f in self._read_fills():
            held = qty.get(f.instrument, Decimal(0))
            signed = f.quantity * f.side.sign
            new = held + signed
            if held == 0 or (held > 0) != (new > 0):
                cost[f.instrument] = f.price
            elif (held > 0) == (signed > 0):
                cost[f.instrument] = (cost[f.instrument] * held + f.price * signed) / new
            qty[f.instrument] = new
        return {i: Position(i, q, cost[i]) for i, q in qty.items() if q}

    def cash(self) -> Decimal:
        """Starting cash less what the fills cost."""
        spent = sum((f.quantity * f.side.sign * f.price + f.commission for f in self._read_fills()), Decimal(0))
        return self._cash - spent
