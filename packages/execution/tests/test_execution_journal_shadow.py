"""The journaled paper venue survives its process; the shadow executor never sends."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from qgtm_core import (
    DEFAULT_UNIVERSE,
    Clock,
    InstrumentId,
    ManualClock,
    OrderIntent,
    OrderStatus,
    Side,
    client_order_id_for,
    correlation_id_for,
)
from qgtm_execution import JournalingBroker, ShadowExecutor, broker_account
from qgtm_execution.testing import ScriptedBroker

GLD = InstrumentId("GLD")
T0 = datetime(2024, 3, 1, 21, 15, tzinfo=UTC)


def intent(cycle: int, qty: str = "10"):
    cid = correlation_id_for(T0, cycle)
    return OrderIntent(client_order_id_for(cid, GLD, "entry"), cid, GLD, Side.BUY, Decimal(qty))


def venue(clock: Clock) -> ScriptedBroker:
    return ScriptedBroker(at=clock.now())


def test_a_rebuilt_venue_has_the_same_orders_fills_and_positions(tmp_path):
    clock = ManualClock(T0)
    j = JournalingBroker(tmp_path / "j.sqlite", venue, clock)
    j.submit(intent(1))
    assert j.on_bar(GLD, 180.5, T0 + timedelta(hours=14))
    j.submit(intent(2, "4"))
    j.cancel(intent(2).client_order_id)
    j.close()  # the process dies; the venue object is gone

    again = JournalingBroker(tmp_path / "j.sqlite", venue, clock)
    assert again.replayed == 4
    assert again.positions()[GLD].quantity == Decimal(10)
    assert again.order(intent(2).client_order_id).status is OrderStatus.CANCELLED
    assert [f.price for f in again.fills_since(0)[0]] == [Decimal("180.5")]
    assert again.open_orders() == []
    assert again.cash() == Decimal(100_000) - 0  # the scripted venue does not move cash
    assert again.sent_client_order_ids() == [intent(1).client_order_id, intent(2).client_order_id]
    # the same bar fed again after a restart must not fill anything new
    again.submit(intent(3))
    assert again.on_bar(GLD, 180.5, T0 + timedelta(hours=14)) == ()
    assert again.order(intent(3).client_order_id).status is OrderStatus.ACCEPTED
    again.close()


def test_shadow_executor_reports_the_account_and_withholds_everything():
    broker = ScriptedBroker(cash=Decimal(5000))
    broker.pos[GLD] = Decimal(3)
    clock = ManualClock(T0)
    shadow = ShadowExecutor(broker_account(broker, DEFAULT_UNIVERSE, clock))
    report = shadow.execute([intent(1), intent(2)], intent(1).correlation_id, {GLD: Decimal(100)})
    assert report.orders == ()
    assert report.fills == ()
    assert broker.submits == []
    assert shadow.withheld == 2
    assert report.account.equity == 5300
    assert shadow.account({GLD: Decimal(100)}).positions[GLD].quantity == 3
    assert "withheld" in report.notes[0]
