"""The Alpaca adapter, through the real alpaca-py client, against the fake server on loopback."""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from qgtm_core import (
    BrokerError,
    ClientOrderId,
    InstrumentId,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    client_order_id_for,
    correlation_id_for,
)
from qgtm_execution import AlpacaApiError, AlpacaBroker, BrokerDisconnectedError, SubmitOutcomeUnknownError
from qgtm_execution.testing import FakeAlpacaServer

GLD, SLV = InstrumentId("GLD"), InstrumentId("SLV")
CID = correlation_id_for(datetime(2024, 3, 1, 21, 15, tzinfo=UTC), 1)


def intent(leg="entry", instrument=GLD, qty="10", side=Side.BUY, **kw):
    return OrderIntent(client_order_id_for(CID, instrument, leg), CID, instrument, side, Decimal(qty), leg=leg, **kw)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.fixture
def server():
    with FakeAlpacaServer(auto_fill=False) as s:
        s.set_price("GLD", Decimal("180.50"))
        yield s


@pytest.fixture
def broker(server):
    b = AlpacaBroker(
        server.key_id,
        server.secret_key,
        url_override=server.base_url,
        stream_url=server.stream_url,
        attempts=2,
        backoff_seconds=0.01,
        backoff_max_seconds=0.02,
    )
    yield b
    b.close()


def test_orders_round_trip_with_every_type(broker, server):
    market = broker.submit(intent())
    assert market.status is OrderStatus.ACCEPTED
    assert market.intent.correlation_id == CID
    limit = broker.submit(
        intent(
            "tp",
            order_type=OrderType.LIMIT,
            limit_price=Decimal("190.5"),
            time_in_force=TimeInForce.GTC,
            side=Side.SELL,
        )
    )
    stop = broker.submit(intent("sl", order_type=OrderType.STOP, stop_price=Decimal("170"), side=Side.SELL))
    both = broker.submit(
        intent("sl2", order_type=OrderType.STOP_LIMIT, stop_price=Decimal("170"), limit_price=Decimal("169"))
    )
    assert (limit.intent.limit_price, limit.intent.time_in_force) == (Decimal("190.5"), TimeInForce.GTC)
    assert stop.intent.stop_price == Decimal(170)
    assert both.intent.order_type is OrderType.STOP_LIMIT
    assert {o.client_order_id for o in broker.open_orders()} == {o.client_order_id for o in (market, limit, stop, both)}
    assert broker.order(ClientOrderId("never-sent")) is None


def test_duplicate_client_order_id_is_refused_by_the_broker(broker, server):
    broker.submit(intent())
    with pytest.raises(AlpacaApiError, match="client_order_id must be unique") as info:
        broker.submit(intent())
    assert info.value.status == 422
    assert server.submitted == [intent().client_order_id]


def test_stream_delivers_fills_and_sweeps_agree_with_it(broker, server):
    broker.submit(intent())
    eventually(lambda: broker.stream_updates >= 1)  # the "new" event
    server.fill(intent().client_order_id, Decimal(4), Decimal("180.10"))
    eventually(lambda: broker.stream_updates >= 2)
    server.fill(intent().client_order_id, Decimal(6), Decimal("180.30"))
    fills, cursor = broker.fills_since(0)
    assert [(f.quantity, f.price) for f in fills] == [(Decimal(4), Decimal("180.10")), (Decimal(6), Decimal("180.30"))]
    assert len({f.execution_id for f in fills}) == 2
    assert broker.fills_since(cursor) == ([], cursor)
    assert broker.order(intent().client_order_id).status is OrderStatus.FILLED
    assert broker.positions()[GLD].quantity == 10
    assert broker.cash() == Decimal(100_000) - Decimal("4") * Decimal("180.10") - Decimal(6) * Decimal("180.30")


def test_short_positions_are_negative_and_cancel_works(broker, server):
    broker.submit(intent(instrument=SLV, side=Side.SELL, qty="7"))
    server.fill(intent(instrument=SLV).client_order_id, Decimal(7), Decimal(22))
    assert broker.positions()[SLV].quantity == -7
    working = broker.submit(intent("2"))
    cancelled = broker.cancel(working.client_order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert broker.cancel(working.client_order_id).status is OrderStatus.CANCELLED  # already terminal
    with pytest.raises(BrokerError, match="unknown client order id"):
        broker.cancel(ClientOrderId("nope"))


def test_a_dropped_link_is_reported_then_recovered_with_missed_fills(broker, server):
    reconnected = []
    broker._on_reconnect = lambda: reconnected.append(True)
    broker.submit(intent())
    server.drop()
    with pytest.raises(SubmitOutcomeUnknownError, match="outcome unknown"):
        broker.submit(intent("2"))
    with pytest.raises(BrokerDisconnectedError, match="connection lost"):
        broker.positions()
    assert not broker.connected
    server.fill(intent().client_order_id, Decimal(10), Decimal(181))  # happens while we are cut off
    server.restore()
    fills, _ = broker.fills_since(0)
    assert broker.connected
    assert broker.reconnects == 1
    assert reconnected == [True]
    assert [(f.quantity, f.price) for f in fills] == [(Decimal(10), Decimal(181))]


def test_clock_offset_is_measured(server):
    server.clock_skew_seconds = 2.0
    b = AlpacaBroker(server.key_id, server.secret_key, url_override=server.base_url, stream=False)
    assert 1.5 < b.clock_offset().total_seconds() < 2.5


def test_bad_credentials_are_a_clear_error(server):
    with pytest.raises(AlpacaApiError, match="401"):
        AlpacaBroker("wrong", "keys", url_override=server.base_url, stream=False)


def test_symbol_mapping_translates_both_ways(server):
    b = AlpacaBroker(
        server.key_id,
        server.secret_key,
        url_override=server.base_url,
        stream=False,
        symbols={InstrumentId("GOLD-ETF"): "GLD"},
    )
    server.auto_fill = True
    order = b.submit(intent(instrument=InstrumentId("GOLD-ETF")))
    assert order.intent.instrument == "GOLD-ETF"
    assert b.positions()[InstrumentId("GOLD-ETF")].quantity == 10
    assert server.position_quantities() == {"GLD": Decimal(10)}
