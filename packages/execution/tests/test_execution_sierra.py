"""Sierra Chart CSV order and fill files."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

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
from qgtm_execution import BrokerExecutor, SierraChartBroker, SqliteStateStore

GC = InstrumentId("GC")
T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
CID = correlation_id_for(T0, 1)
HEADER = "execution_id,client_order_id,symbol,side,quantity,price,commission,time\n"


def intent(leg="entry", qty="3", side=Side.BUY, **kw):
    return OrderIntent(client_order_id_for(CID, GC, leg), CID, GC, side, Decimal(qty), leg=leg, **kw)


def sierra(tmp_path):
    return SierraChartBroker(
        tmp_path / "sc" / "orders.csv", tmp_path / "sc" / "fills.csv", Decimal(100_000), ManualClock(T0)
    )


def test_orders_are_written_and_fills_read_back(tmp_path):
    broker = sierra(tmp_path)
    assert broker.submit(intent()).status is OrderStatus.SUBMITTED
    broker.submit(intent("tp", side=Side.SELL, order_type=OrderType.LIMIT, limit_price=Decimal("2100.5")))
    with pytest.raises(BrokerError, match="duplicate client order id"):
        broker.submit(intent())
    lines = (tmp_path / "sc" / "orders.csv").read_text().splitlines()
    assert lines[0].startswith("client_order_id,symbol,side,quantity,order_type")
    assert lines[2].endswith(f"2100.5,,day,{T0.isoformat()}")
    coid = intent().client_order_id
    (tmp_path / "sc" / "fills.csv").write_text(
        HEADER
        + f"f1,{coid},GC,BUY,1,2050.1,2.5,2024-03-01T14:31:00+00:00\n"
        + f"f2,{coid},GC,buy,2,2050.4,2.5,2024-03-01T14:32:00+00:00\n"
    )
    order = broker.order(coid)
    assert (order.status, order.filled_quantity) == (OrderStatus.FILLED, Decimal(3))
    assert order.average_fill_price == (Decimal("2050.1") + 2 * Decimal("2050.4")) / 3
    assert broker.positions()[GC].quantity == 3
    assert broker.cash() == Decimal(100_000) - Decimal("2050.1") - 2 * Decimal("2050.4") - 5
    assert [o.client_order_id for o in broker.open_orders()] == [intent("tp").client_order_id]
    assert broker.cancel(intent("tp").client_order_id).status is OrderStatus.CANCEL_PENDING
    assert broker.order(intent("tp").client_order_id).status is OrderStatus.CANCELLED
    assert broker.cancel(coid).status is OrderStatus.FILLED
    assert broker.order(ClientOrderId("nope")) is None
    with pytest.raises(BrokerError, match="unknown client order id"):
        broker.cancel(ClientOrderId("nope"))


def test_the_oms_trades_through_the_files(tmp_path):
    broker = sierra(tmp_path)
    store = SqliteStateStore(":memory:")
    oms = BrokerExecutor(broker, store, store, DEFAULT_UNIVERSE, ManualClock(T0))
    oms.execute([intent()], CID, {GC: Decimal(2050)})
    (tmp_path / "sc" / "fills.csv").write_text(
        HEADER + f"f1,{intent().client_order_id},GC,buy,3,2050,0,2024-03-01T14:31:00+00:00\n"
    )
    report = oms.execute([intent()], CID, {GC: Decimal(2050)})  # a re-run: nothing is written twice
    assert report.reconciled
    assert len((tmp_path / "sc" / "orders.csv").read_text().splitlines()) == 2
    assert oms.positions() == {GC: Decimal(3)}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("f1,c,GC,hold,1,2050,0,2024-03-01T14:31:00+00:00", r"fills\.csv:2: bad side 'hold'"),
        ("f1,c,GC,buy,one,2050,0,2024-03-01T14:31:00+00:00", r"fills\.csv:2: bad quantity 'one'"),
        ("f1,c,GC,buy,1,2050,0,yesterday", r"fills\.csv:2: bad time 'yesterday'"),
        ("f1,c,GC,buy,1,-5,0,2024-03-01T14:31:00+00:00", "must be positive"),
    ],
)
def test_bad_fill_rows_name_file_row_and_field(tmp_path, row, problem):
    broker = sierra(tmp_path)
    (tmp_path / "sc" / "fills.csv").write_text(HEADER + row + "\n")
    with pytest.raises(BrokerError, match=problem):
        broker.fills_since(0)


def test_missing_columns_are_named(tmp_path):
    broker = sierra(tmp_path)
    (tmp_path / "sc" / "fills.csv").write_text("execution_id,price\n")
    with pytest.raises(BrokerError, match="missing columns client_order_id, commission"):
        broker.fills_since(0)
