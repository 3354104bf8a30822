"""The order state machine: which status changes are legal, and what a fill may do to an order.

Brokers report status changes out of order and more than once (a reconnect replays the stream,
a lookup races a trade update). The OMS applies each report through ``advance``: repeats are
harmless, a report that would move an order backwards (filled -> accepted, or a smaller filled
quantity) is refused with ``IllegalTransitionError`` instead of silently corrupting the books.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from qgtm_core import Order, OrderIntent, OrderStatus
from qgtm_execution._errors import IllegalTransitionError

__all__ = ["LEGAL_TRANSITIONS", "advance", "new_order"]

_S = OrderStatus
_WORKING_EXITS = frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCEL_PENDING, _S.CANCELLED, _S.EXPIRED})

LEGAL_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # A lookup after a crash may find an order already far along, so NEW may jump ahead.
    _S.NEW: frozenset({_S.SUBMITTED, _S.ACCEPTED, _S.REJECTED}) | _WORKING_EXITS,
    _S.SUBMITTED: frozenset({_S.ACCEPTED, _S.REJECTED}) | _WORKING_EXITS,
    _S.ACCEPTED: _WORKING_EXITS,
    _S.PARTIALLY_FILLED: _WORKING_EXITS,
    # A cancel can lose the race against a fill, or be refused (back to working).
    _S.CANCEL_PENDING: frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}),
    _S.FILLED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.EXPIRED: frozenset(),
}


def new_order(intent: OrderIntent, at: datetime) -> Order:
    """The order as the OMS holds it before the broker has seen it."""
    return Order(intent=intent, status=OrderStatus.NEW, updated_at=at)


def advance(current: Order, update: Order) -> Order:
    """Apply a broker report ``update`` to ``current``; raise if the change is illegal.

    The same status again is accepted (duplicate report) as long as the filled quantity does not
    go down. Filled quantity may never exceed the order quantity.
    """
    cid = current.client_order_id
    if update.client_order_id != cid:
        msg = f"{cid}: update is for another order ({update.client_order_id})"
        raise IllegalTransitionError(msg)
    if update.filled_quantity < current.filled_quantity:
        msg = f"{cid}: filled quantity cannot go down ({current.filled_quantity} -> {update.filled_quantity})"
        raise IllegalTransitionError(msg)
    if update.filled_quantity > current.intent.quantity:
        msg = f"{cid}: filled {update.filled_quantity} exceeds order quantity {current.intent.quantity}"
        raise IllegalTransitionError(msg)
    if update.status is not current.status and update.status not in LEGAL_TRANSITIONS[current.status]:
        msg = f"{cid}: illegal transition {current.status.value} -> {update.status.value}"
        raise IllegalTransitionError(msg)
    if update.status is OrderStatus.FILLED and update.filled_quantity != current.intent.quantity:
        msg = f"{cid}: reported filled with {update.filled_quantity} of {current.intent.quantity}"
        raise IllegalTransitionError(msg)
    broker_id = update.broker_order_id or current.broker_order_id
    return replace(update, intent=current.intent, broker_order_id=broker_id)
