"""Disconnect test: the fake Alpaca server drops while orders work and fills arrive meanwhile;
after reconnect the OMS state matches the broker exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from qgtm_core import (
    DEFAULT_UNIVERSE,
    InstrumentId,
    ManualClock,
    OrderIntent,
    OrderStatus,
    Side,
    client_order_id_for,
    correlation_id_for,
)
from qgtm_execution import (
    AlpacaBroker,
    BrokerDisconnectedError,
    BrokerExecutor,
    ExecutionPolicy,
    SqliteStateStore,
)
from qgtm_execution.testing import FakeAlpacaServer

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
GLD, SLV, SPY = InstrumentId("GLD"), InstrumentId("SLV"), InstrumentId("SPY")
MARKS = {GLD: Decimal(180), SLV: Decimal(22), SPY: Decimal(500)}
_STATUS = {"filled": OrderStatus.FILLED, "partially_filled": OrderStatus.PARTIALLY_FILLED, "new": OrderStatus.ACCEPTED}


def _intent(cid, instrument, side, qty):
    return OrderIntent(client_order_id_for(cid, instrument, "entry"), cid, instrument, side, Decimal(qty))


def test_oms_matches_the_broker_exactly_after_a_disconnect(tmp_path):
    with FakeAlpacaServer(auto_fill=False) as server:
        broker = AlpacaBroker(
            server.key_id,
            server.secret_key,
            url_override=server.base_url,
            stream_url=server.stream_url,
            attempts=2,
            backoff_seconds=0.01,
            backoff_max_seconds=0.05,
        )
        store = SqliteStateStore(tmp_path / "state.sqlite")
        clock = ManualClock(T0)
        fast = ExecutionPolicy(backoff_seconds=0.01, backoff_max_seconds=0.05)
        oms = BrokerExecutor(broker, store, store, DEFAULT_UNIVERSE, clock, policy=fast)
        cid = correlation_id_for(T0, 1)
        intents = [
            _intent(cid, GLD, Side.BUY, "10"),
            _intent(cid, SLV, Side.SELL, "5"),
            _intent(cid, SPY, Side.BUY, "3"),
        ]
        report = oms.execute(intents, cid, MARKS)
        assert [o.status for o in report.orders] == [OrderStatus.ACCEPTED] * 3
        gld, slv, spy = (i.client_order_id for i in intents)
        server.fill(gld, Decimal(4), Decimal("180.10"))  # seen live

        server.drop()
        server.fill(gld, Decimal(6), Decimal("180.40"))  # all of these happen while we are cut off
        server.fill(slv, Decimal(5), Decimal("22.05"))
        server.fill(spy, Decimal(1), Decimal("500.5"))
        clock.advance_to(T0 + timedelta(minutes=5))
        with pytest.raises(BrokerDisconnectedError):
            oms.execute([], correlation_id_for(clock.now(), 2), MARKS)
        assert not broker.connected

        server.restore()
        oms.reconcile()
        assert broker.connected
        assert broker.reconnects == 1

        fills = store.fills()
        assert len({f.execution_id for f in fills}) == len(fills)
        filled_by_order: dict[str, Decimal] = {}
        for f in fills:
            filled_by_order[f.client_order_id] = filled_by_order.get(f.client_order_id, Decimal(0)) + f.quantity
        broker_orders = {o.client_order_id: o for o in server.orders.values()}
        assert filled_by_order == {c: o.filled_qty for c, o in broker_orders.items() if o.filled_qty}
        assert {o.client_order_id: o.status for o in store.orders()} == {
            c: _STATUS[o.status] for c, o in broker_orders.items()
        }
        assert oms.positions() == {InstrumentId(s): q for s, q in server.position_quantities().items()}
        assert server.submitted == [gld, slv, spy]  # nothing was re-sent across the outage

        report = oms.execute([], correlation_id_for(clock.now(), 3), MARKS)
        assert report.reconciled
        broker.close()
        store.close()
