from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qgtm_core import ClientOrderId, CorrelationId, InstrumentId, Order, OrderIntent, OrderStatus, Side
from qgtm_execution import LEGAL_TRANSITIONS, IllegalTransitionError, advance, new_order
from qgtm_execution.testing import ScriptedBroker

T0 = ScriptedBroker().at

INTENT = OrderIntent(ClientOrderId("c1"), CorrelationId("sig"), InstrumentId("GLD"), Side.BUY, Decimal(10))


def at(status: OrderStatus, filled: str = "0") -> Order:
    return Order(INTENT, status, T0, filled_quantity=Decimal(filled))


def test_happy_path_and_repeats():
    o = new_order(INTENT, T0)
    o = advance(o, at(OrderStatus.SUBMITTED))
    o = advance(o, replace(at(OrderStatus.ACCEPTED), broker_order_id="b1"))
    o = advance(o, at(OrderStatus.PARTIALLY_FILLED, "4"))
    o = advance(o, at(OrderStatus.PARTIALLY_FILLED, "4"))  # duplicate report is harmless
    o = advance(o, at(OrderStatus.FILLED, "10"))
    assert o.status is OrderStatus.FILLED
    assert o.broker_order_id == "b1"  # a later report without the broker id keeps it


@pytest.mark.parametrize(
    ("current", "update", "problem"),
    [
        (at(OrderStatus.FILLED, "10"), at(OrderStatus.ACCEPTED, "10"), "illegal transition filled -> accepted"),
        (at(OrderStatus.CANCELLED), at(OrderStatus.PARTIALLY_FILLED, "1"), "illegal transition"),
        (at(OrderStatus.ACCEPTED), at(OrderStatus.REJECTED), "accepted -> rejected"),
        (at(OrderStatus.PARTIALLY_FILLED, "5"), at(OrderStatus.PARTIALLY_FILLED, "3"), "cannot go down"),
        (at(OrderStatus.ACCEPTED), at(OrderStatus.PARTIALLY_FILLED, "11"), "exceeds order quantity"),
        (at(OrderStatus.ACCEPTED), at(OrderStatus.FILLED, "9"), "reported filled with 9 of 10"),
    ],
)
def test_illegal_updates_are_refused(current, update, problem):
    with pytest.raises(IllegalTransitionError, match=problem):
        advance(current, update)


def test_update_for_another_order_is_refused():
    other = replace(INTENT, client_order_id=ClientOrderId("c2"))
    with pytest.raises(IllegalTransitionError, match="another order"):
        advance(at(OrderStatus.NEW), Order(other, OrderStatus.ACCEPTED, T0))


def test_terminal_statuses_have_no_exits():
    for status in OrderStatus:
        assert (not LEGAL_TRANSITIONS[status]) == status.is_terminal


@given(st.lists(st.sampled_from(list(OrderStatus)), max_size=12))
def test_any_sequence_never_leaves_a_terminal_state(statuses):
    """Whatever brokers report, once terminal an order stays put and filled never decreases."""
    order = new_order(INTENT, T0)
    filled = Decimal(0)
    for status in statuses:
        qty = Decimal(10) if status is OrderStatus.FILLED else filled
        try:
            nxt = advance(order, at(status, str(qty)))
        except IllegalTransitionError:
            continue
        assert not order.status.is_terminal or nxt.status is order.status
        assert nxt.filled_quantity >= order.filled_quantity
        order, filled = nxt, nxt.filled_quantity
