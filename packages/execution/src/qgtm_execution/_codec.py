"""JSON encoding of orders and fills for the state store (Decimals as strings, UTC ISO times)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import cast

from qgtm_core import (
    ClientOrderId,
    CorrelationId,
    ExecutionId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    canonical_bytes,
)

__all__ = ["decode_fill", "decode_intent", "decode_order", "encode"]


def encode(value: Order | OrderIntent | Fill) -> str:
    """Canonical JSON text."""
    return canonical_bytes(value).decode()


def _opt_decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _intent(data: dict[str, object]) -> OrderIntent:
    parent = data.get("parent")
    return OrderIntent(
        client_order_id=ClientOrderId(str(data["client_order_id"])),
        correlation_id=CorrelationId(str(data["correlation_id"])),
        instrument=InstrumentId(str(data["instrument"])),
        side=Side(str(data["side"])),
        quantity=Decimal(str(data["quantity"])),
        order_type=OrderType(str(data["order_type"])),
        time_in_force=TimeInForce(str(data["time_in_force"])),
        limit_price=_opt_decimal(data.get("limit_price")),
        stop_price=_opt_decimal(data.get("stop_price")),
        leg=str(data["leg"]),
        parent=None if parent is None else ClientOrderId(str(parent)),
        reason=str(data["reason"]),
    )


def decode_intent(text: str) -> OrderIntent:
    """Inverse of ``encode`` for intents."""
    return _intent(cast("dict[str, object]", json.loads(text)))


def decode_order(text: str) -> Order:
    """Inverse of ``encode`` for orders."""
    data = cast("dict[str, object]", json.loads(text))
    broker_id = data.get("broker_order_id")
    reject = data.get("reject_reason")
    return Order(
        intent=_intent(cast("dict[str, object]", data["intent"])),
        status=OrderStatus(str(data["status"])),
        updated_at=datetime.fromisoformat(str(data["updated_at"])),
        broker_order_id=None if broker_id is None else str(broker_id),
        filled_quantity=Decimal(str(data["filled_quantity"])),
        average_fill_price=_opt_decimal(data.get("average_fill_price")),
        reject_reason=None if reject is None else str(reject),
    )


def decode_fill(text: str) -> Fill:
    """Inverse of ``encode`` for fills."""
    data = cast("dict[str, object]", json.loads(text))
    cid = data.get("correlation_id")
    return Fill(
        execution_id=ExecutionId(str(data["execution_id"])),
        client_order_id=ClientOrderId(str(data["client_order_id"])),
        instrument=InstrumentId(str(data["instrument"])),
        side=Side(str(data["side"])),
        quantity=Decimal(str(data["quantity"])),
        price=Decimal(str(data["price"])),
        commission=Decimal(str(data["commission"])),
        at=datetime.fromisoformat(str(data["at"])),
        correlation_id=None if cid is None else CorrelationId(str(cid)),
    )
