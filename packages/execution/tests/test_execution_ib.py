"""The IB adapter against a fake ib_async client following TWS's event sequences."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ib_async import Future, Stock

from qgtm_core import (
    DEFAULT_UNIVERSE,
    BrokerError,
    ClientOrderId,
    InstrumentId,
    ManualClock,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
    client_order_id_for,
    correlation_id_for,
)
from qgtm_execution import BrokerDisconnectedError, BrokerExecutor, ExecutionPolicy, IbBroker, SqliteStateStore
from qgtm_execution.testing import FakeIB

GLD, GC = InstrumentId("GLD"), InstrumentId("GC")
T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
CID = correlation_id_for(T0, 1)
CONTRACTS = {GLD: Stock("GLD", "SMART", "USD"), GC: Future("GC", "20240626", "COMEX", multiplier="100")}


def intent(instrument=GLD, qty="10", leg="entry", side=Side.BUY, **kw):
    return OrderIntent(client_order_id_for(CID, instrument, leg), CID, instrument, side, Decimal(qty), leg=leg, **kw)


@pytest.fixture
def ib():
    return FakeIB(cash=100_000)


@pytest.fixture
def broker(ib):
    return IbBroker(ib, CONTRACTS, sleep=lambda _: None)


def test_orders_follow_tws_status_sequence_and_refuse_duplicates(broker, ib):
    placed = broker.submit(intent())
    assert placed.status is OrderStatus.ACCEPTED
    assert [e.status for e in ib.trades()[0].log] == ["PendingSubmit", "PreSubmitted", "Submitted"]
    with pytest.raises(BrokerError, match="duplicate client order id"):
        broker.submit(intent())
    assert ib.placed == [intent().client_order_id]
    limit = broker.submit(intent(leg="tp", side=Side.SELL, order_type=OrderType.LIMIT, limit_price=Decimal("190.5")))
    stop = broker.submit(intent(leg="sl", side=Side.SELL, order_type=OrderType.STOP, stop_price=Decimal(170)))
    both = broker.submit(
        intent(leg="sl2", order_type=OrderType.STOP_LIMIT, stop_price=Decimal(170), limit_price=Decimal(171))
    )
    assert (limit.intent.order_type, limit.intent.limit_price) == (OrderType.LIMIT, Decimal("190.5"))
    assert (stop.intent.order_type, stop.intent.stop_price) == (OrderType.STOP, Decimal(170))
    assert both.intent.order_type is OrderType.STOP_LIMIT
    assert len(broker.open_orders()) == 4
    assert broker.order(ClientOrderId("nope")) is None


def test_fills_positions_cash_and_cancel(broker, ib):
    broker.submit(intent())
    ib.fill(intent().client_order_id, 4, 180.1)
    assert broker.order(intent().client_order_id).status is OrderStatus.PARTIALLY_FILLED
    ib.fill(intent().client_order_id, 6, 180.3)
    fills, cursor = broker.fills_since(0)
    assert [(f.quantity, f.price, f.commission) for f in fills] == [
        (Decimal(4), Decimal("180.1"), Decimal(1)),
        (Decimal(6), Decimal("180.3"), Decimal(1)),
    ]
    assert broker.fills_since(cursor) == ([], cursor)
    assert broker.order(intent().client_order_id).status is OrderStatus.FILLED
    assert broker.positions()[GLD].quantity == 10
    assert broker.cash() == Decimal(100_000) - 4 * Decimal("180.1") - 6 * Decimal("180.3") - 2  # two commissions
    broker.submit(intent(GC, "1", side=Side.SELL))
    ib.fill(intent(GC).client_order_id, 1, 2050.0)
    assert broker.positions()[GC].average_price == Decimal(2050)  # IB's per-contract cost / multiplier
    working = broker.submit(intent(leg="later"))
    assert broker.cancel(working.client_order_id).status is OrderStatus.CANCELLED
    assert broker.cancel(intent().client_order_id).status is OrderStatus.FILLED  # terminal: nothing to do
    with pytest.raises(BrokerError, match="unknown client order id"):
        broker.cancel(ClientOrderId("nope"))
    with pytest.raises(BrokerError, match="no contract configured for SLV"):
        broker.submit(intent(InstrumentId("SLV")))


def test_rejected_orders_and_market_depth(broker, ib):
    ib.reject_next = "Order rejected - reason: insufficient margin"
    rejected = broker.submit(intent())
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reject_reason == "Order rejected - reason: insufficient margin"
    assert broker.quote(GLD) is None
    ib.set_depth("GLD", [(180.0, 300), (179.99, 100)], [(180.02, 200)])
    quote = broker.quote(GLD)
    assert (quote.bid, quote.ask) == (Decimal("180.0"), Decimal("180.02"))


def test_reconnect_with_backoff_recovers_fills_missed_while_down(ib, tmp_path):
    store = SqliteStateStore(tmp_path / "s.sqlite")
    broker = IbBroker(ib, CONTRACTS, sleep=lambda _: None)
    oms = BrokerExecutor(
        broker, store, store, DEFAULT_UNIVERSE, ManualClock(T0), policy=ExecutionPolicy(backoff_seconds=0)
    )
    oms.execute([intent(), intent(GC, "2", side=Side.SELL)], CID, {GLD: Decimal(180), GC: Decimal(2050)})
    ib.fill(intent().client_order_id, 3, 180.0)
    ib.disconnect()
    ib.fill(intent().client_order_id, 7, 180.5)  # while we are cut off
    ib.fill(intent(GC).client_order_id, 2, 2049.0)
    ib.refuse_connects = 2  # TWS is restarting: two refusals, then it comes back
    recovered = oms.reconcile()
    assert broker.reconnects == 1
    assert sum(f.quantity for f in store.fills() if f.instrument == GLD) == 10
    assert len(recovered) == 3
    assert oms.positions() == {GLD: Decimal(10), GC: Decimal(-2)}
    assert {o.status for o in store.orders()} == {OrderStatus.FILLED}
    assert ib.placed == [intent().client_order_id, intent(GC).client_order_id]
    ib.disconnect()
    ib.refuse_connects = 99
    with pytest.raises(BrokerDisconnectedError, match="cannot connect"):
        broker.positions()
