"""The OMS against a scripted broker: write before send, look up before retry, fills once, halts."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from qgtm_core import (
    DEFAULT_UNIVERSE,
    ClientOrderId,
    CorrelationId,
    InstrumentId,
    ManualClock,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
    client_order_id_for,
    correlation_id_for,
)
from qgtm_execution import (
    BrokerExecutor,
    ExecutionPolicy,
    IllegalTransitionError,
    ReconciliationError,
    SqliteStateStore,
    new_order,
)
from qgtm_execution.testing import ScriptedBroker

GLD, SLV = InstrumentId("GLD"), InstrumentId("SLV")
T0 = ScriptedBroker().at
CID = correlation_id_for(T0, 1)
MARKS = {GLD: Decimal(180), SLV: Decimal(22)}
FAST = ExecutionPolicy(backoff_seconds=0.001, backoff_max_seconds=0.002)


def intent(instrument=GLD, qty="10", leg="entry", cid=CID, side=Side.BUY):
    return OrderIntent(client_order_id_for(cid, instrument, leg), cid, instrument, side, Decimal(qty), leg=leg)


def oms(broker, store=None, alarms=None, policy=FAST, initial=None):
    store = store or SqliteStateStore(":memory:")
    clock = ManualClock(T0)
    ex = BrokerExecutor(
        broker,
        store,
        store,
        DEFAULT_UNIVERSE,
        clock,
        initial,
        policy=policy,
        on_alarm=None if alarms is None else alarms.append,
    )
    return ex, store, clock


class Spy(ScriptedBroker):
    """Records whether the intent was already durable when submit was called."""

    def __init__(self, store):
        super().__init__()
        self.store = store
        self.durable_at_send = []

    def submit(self, i):
        self.durable_at_send.append(i.client_order_id in {x.client_order_id for x in self.store.intents()})
        return super().submit(i)


def test_intent_is_durable_before_it_is_sent():
    store = SqliteStateStore(":memory:")
    broker = Spy(store)
    ex, _, _ = oms(broker, store)
    report = ex.execute([intent()], CID, MARKS)
    assert broker.durable_at_send == [True]
    assert [o.status for o in report.orders] == [OrderStatus.ACCEPTED]
    assert store.orders()[0].status is OrderStatus.ACCEPTED


def test_rerunning_a_cycle_after_restart_sends_nothing_twice(tmp_path):
    broker = ScriptedBroker()
    ex, store, _ = oms(broker, SqliteStateStore(tmp_path / "s.sqlite"))
    ex.execute([intent()], CID, MARKS)
    store.close()
    again, _, _ = oms(broker, SqliteStateStore(tmp_path / "s.sqlite"))
    report = again.execute([intent()], CID, MARKS)
    assert broker.submits == [intent().client_order_id]
    assert report.orders[0].status is OrderStatus.ACCEPTED


def test_crash_after_intent_written_but_before_send_sends_once_on_rerun(tmp_path):
    broker = ScriptedBroker()
    store = SqliteStateStore(tmp_path / "s.sqlite")
    store.record_intent(intent())  # the process died right after this commit
    ex, _, _ = oms(broker, store)
    ex.execute([intent()], CID, MARKS)
    assert broker.submits == [intent().client_order_id]


def test_lost_ack_is_looked_up_not_resent():
    broker = ScriptedBroker()
    broker.lose_ack = 1
    ex, _, _ = oms(broker)
    report = ex.execute([intent()], CID, MARKS)
    assert broker.submits == [intent().client_order_id]
    assert report.orders[0].status is OrderStatus.ACCEPTED


def test_timeout_before_the_broker_saw_it_is_resent_after_lookup():
    broker = ScriptedBroker()
    broker.drop_before = 1
    ex, _, _ = oms(broker)
    report = ex.execute([intent()], CID, MARKS)
    assert broker.submits == [intent().client_order_id] * 2
    assert report.orders[0].status is OrderStatus.ACCEPTED


def test_dead_link_leaves_the_order_new_for_the_next_lookup():
    broker = ScriptedBroker()
    broker.drop_before, broker.lookup_down = 5, 50
    ex, _, _ = oms(broker)
    order = ex._send(intent())
    assert order.status is OrderStatus.NEW
    assert len(broker.submits) == FAST.submit_attempts


def test_refused_order_is_rejected_with_the_reason():
    broker = ScriptedBroker()
    broker.refuse = "insufficient buying power"
    ex, _store, _ = oms(broker)
    report = ex.execute([intent()], CID, MARKS)
    assert report.orders[0].status is OrderStatus.REJECTED
    assert report.orders[0].reject_reason == "insufficient buying power"
    broker.refuse = None
    again = ex.execute([intent()], CID, MARKS)  # a rejected intent is never resent
    assert again.orders[0].status is OrderStatus.REJECTED
    assert len(broker.submits) == 1


def test_duplicate_fill_reports_are_ignored_and_fills_never_exceed_the_order():
    broker = ScriptedBroker()
    ex, store, _ = oms(broker)
    ex.execute([intent()], CID, MARKS)
    coid = intent().client_order_id
    broker.fill(coid, Decimal(4), exec_id="e1")
    broker.fills.append(broker.fills[-1])  # the stream replays the same execution
    report = ex.execute([], CID, MARKS)
    assert [f.execution_id for f in report.fills] == ["e1"]
    broker.fill(coid, Decimal(6), exec_id="e2")
    broker.fills.append(replace(broker.fills[-1], execution_id="e2-aggregate", quantity=Decimal(10)))
    broker.pos[GLD] = Decimal(10)
    report = ex.execute([], CID, MARKS)
    assert sum(f.quantity for f in store.fills()) == 10
    assert report.reconciled
    assert ex.positions() == {GLD: Decimal(10)}
    assert ex.book()[coid].status is OrderStatus.FILLED


def test_mismatch_halts_trading_with_an_alarm_and_stays_halted(tmp_path):
    broker = ScriptedBroker()
    alarms = []
    ex, store, _ = oms(broker, SqliteStateStore(tmp_path / "s.sqlite"), alarms)
    broker.pos[SLV] = Decimal(7)  # someone traded the account behind our back
    report = ex.execute([intent()], CID, MARKS)
    assert not report.reconciled
    assert alarms
    assert "SLV: ours 0 broker 7" in alarms[0]
    assert ex.halted is not None
    store.close()
    again, _, _ = oms(broker, SqliteStateStore(tmp_path / "s.sqlite"))
    report = again.execute([intent(leg="next")], CID, MARKS)
    assert report.notes[0].startswith("not sending 1 intents")
    with pytest.raises(ReconciliationError, match="SLV"):
        again.reconcile()
    again.resume_trading()
    assert again.halted is None


def test_tolerance_allows_small_differences():
    broker = ScriptedBroker()
    ex, _, _ = oms(broker, policy=replace(FAST, position_tolerance=Decimal("0.5")))
    broker.pos[GLD] = Decimal("0.4")
    assert ex.execute([], CID, MARKS).reconciled


def test_first_start_adopts_the_brokers_positions_as_baseline():
    broker = ScriptedBroker()
    broker.pos[GLD] = Decimal(25)
    ex, _, _ = oms(broker)
    assert ex.positions() == {GLD: Decimal(25)}
    assert ex.execute([], CID, MARKS).reconciled
    explicit, _, _ = oms(ScriptedBroker(), initial={SLV: Decimal(3)})
    assert explicit.positions() == {SLV: Decimal(3)}


def test_reconcile_recovers_missed_fills_and_adopts_unknown_orders():
    broker = ScriptedBroker()
    ex, _store, _ = oms(broker)
    ex.execute([intent()], CID, MARKS)
    broker.fill(intent().client_order_id, Decimal(10))
    manual = intent(SLV, "5", leg="manual")
    broker.submit(manual)  # placed by hand at the broker, never seen by this OMS
    broker.fill(manual.client_order_id, Decimal(2))
    recovered = ex.reconcile()
    assert {f.client_order_id for f in recovered} == {intent().client_order_id, manual.client_order_id}
    assert ex.book()[manual.client_order_id].status is OrderStatus.PARTIALLY_FILLED
    assert ex.positions() == {GLD: Decimal(10), SLV: Decimal(2)}


def test_twap_slices_are_released_on_schedule_and_stale_new_orders_expire():
    broker = ScriptedBroker()
    ex, store, clock = oms(broker, policy=replace(FAST, slice_interval=timedelta(minutes=5)))
    slices = [intent(qty="5", leg=f"slice-{k}/3") for k in (1, 2, 3)]
    ex.execute(slices, CID, MARKS)
    assert broker.submits == [slices[0].client_order_id]
    clock.advance_to(T0 + timedelta(minutes=5, seconds=1))
    later = correlation_id_for(clock.now(), 2)
    ex.execute([], later, MARKS)
    assert broker.submits == [s.client_order_id for s in slices[:2]]
    stale = intent(SLV, "3", leg="entry")
    store.record_intent(stale)  # written, then the process died; its cycle will never re-run
    ex2, _, _ = oms(broker, store)
    clock2_cid = correlation_id_for(T0 + timedelta(hours=1), 3)
    ex2._clock.advance_to(T0 + timedelta(hours=1))
    store.update_order(ex2.book().get(stale.client_order_id) or _new(stale))
    ex2 = oms(broker, store)[0]
    ex2._clock.advance_to(T0 + timedelta(hours=1))
    report = ex2.execute([], clock2_cid, MARKS)
    statuses = {o.client_order_id: o.status for o in report.orders}
    assert statuses[stale.client_order_id] is OrderStatus.EXPIRED
    assert statuses[slices[2].client_order_id] is OrderStatus.ACCEPTED


def _new(i):
    return new_order(i, T0)


def test_an_illegal_broker_report_is_refused():
    broker = ScriptedBroker()
    ex, _, _ = oms(broker)
    ex.execute([intent()], CID, MARKS)
    coid = intent().client_order_id
    broker.orders[coid] = replace(broker.orders[coid], status=OrderStatus.FILLED, filled_quantity=Decimal(9))
    with pytest.raises(IllegalTransitionError, match="reported filled with 9 of 10"):
        ex.reconcile()


def test_account_is_the_brokers():
    broker = ScriptedBroker(cash=Decimal(5000))
    broker.pos[GLD] = Decimal(2)
    ex, _, _ = oms(broker)
    account = ex.account(MARKS)
    assert account.cash == 5000
    assert account.equity == 5000 + 2 * 180


def test_limit_and_client_ids_are_passed_through_unchanged():
    broker = ScriptedBroker()
    ex, _, _ = oms(broker)
    limit = OrderIntent(
        ClientOrderId("x-1"), CorrelationId(CID), GLD, Side.SELL, Decimal(1), OrderType.LIMIT, limit_price=Decimal(181)
    )
    ex.execute([limit], CID, MARKS)
    assert broker.orders[ClientOrderId("x-1")].intent == limit
