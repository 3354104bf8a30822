"""The simulated venue: order types, brackets, time in force, fill models, caps, latency, margin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_backtest import (
    BpsCommission,
    FillModel,
    FuturesCommission,
    PerShareCommission,
    SimulatedVenue,
    Slippage,
    VenueRules,
)
from qgtm_core import (
    Bar,
    BrokerError,
    ClientOrderId,
    CorrelationId,
    InstrumentId,
    ManualClock,
    OrderIntent,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    TimeInForce,
)

GLD = InstrumentId("GLD")
GC = InstrumentId("GC")
T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
CID = CorrelationId("sig-20240102-143000-0001")


def intent(coid: str, side: Side = Side.BUY, qty: str = "10", **kw: object) -> OrderIntent:
    return OrderIntent(ClientOrderId(coid), CID, kw.pop("instrument", GLD), side, Decimal(qty), **kw)  # type: ignore[arg-type]


def bar(
    o: float, h: float, low: float, c: float, at: datetime = T0, volume: float = 1e9, inst: InstrumentId = GLD
) -> Bar:
    return Bar(inst, at, at, o, h, low, c, volume)


def venue(rules: VenueRules | None = None, cash: str = "100000", **kw: object) -> tuple[SimulatedVenue, ManualClock]:
    clock = ManualClock(T0 - timedelta(minutes=1))
    return SimulatedVenue(Decimal(cash), clock, rules=rules, **kw), clock  # type: ignore[arg-type]


def test_market_order_fills_at_next_open_with_per_share_commission() -> None:
    v, _ = venue()
    v.submit(intent("a", qty="300"))
    (fill,) = v.on_bar(GLD, 180.25, T0)
    assert fill.price == Decimal("180.25")
    assert fill.commission == Decimal("1.50")
    assert v.cash() == Decimal(100000) - Decimal("300") * Decimal("180.25") - Decimal("1.50")
    assert v.positions()[GLD].quantity == 300
    assert v.order(ClientOrderId("a")).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert v.open_orders() == []


def test_duplicate_and_unknown_ids_are_refused() -> None:
    v, _ = venue()
    v.submit(intent("a"))
    with pytest.raises(BrokerError, match="duplicate client order id a"):
        v.submit(intent("a"))
    with pytest.raises(BrokerError, match="unknown client order id zz"):
        v.cancel(ClientOrderId("zz"))


def test_limit_fills_at_limit_or_better_open() -> None:
    v, _ = venue()
    v.submit(intent("buy", order_type=OrderType.LIMIT, limit_price=Decimal(99), time_in_force=TimeInForce.GTC))
    assert v.on_bar_ohlc(bar(101, 102, 100, 101)) == ()
    (fill,) = v.on_bar_ohlc(bar(100, 100.5, 98, 99.5, T0 + timedelta(days=1)))
    assert fill.price == Decimal(99)
    v.submit(intent("sell", Side.SELL, order_type=OrderType.LIMIT, limit_price=Decimal(95)))
    (gap,) = v.on_bar_ohlc(bar(97, 97, 96, 96, T0 + timedelta(days=2)))
    assert gap.price == Decimal(97)  # gapped through the limit: the better open price


def test_stop_fills_at_stop_or_worse_gap_with_slippage() -> None:
    v, _ = venue(VenueRules(slippage=Slippage(bps=Decimal(10))))
    v.submit(intent("s", Side.BUY, order_type=OrderType.STOP, stop_price=Decimal(105)))
    (fill,) = v.on_bar_ohlc(bar(100, 106, 99, 104))
    assert fill.price == Decimal("105.10")  # 105 moved 10 bps against the buyer
    v.submit(intent("g", Side.SELL, order_type=OrderType.STOP, stop_price=Decimal(100)))
    (gap,) = v.on_bar_ohlc(bar(95, 96, 94, 95))
    assert gap.price == Decimal("94.90")


def test_stop_limit_triggers_then_rests_as_limit() -> None:
    v, _ = venue()
    v.submit(
        intent(
            "sl",
            order_type=OrderType.STOP_LIMIT,
            stop_price=Decimal(105),
            limit_price=Decimal(104),
            time_in_force=TimeInForce.GTC,
        )
    )
    assert v.on_bar_ohlc(bar(106, 108, 105.5, 107)) == ()  # gapped over the limit: triggered, not filled
    (fill,) = v.on_bar_ohlc(bar(105, 105, 103, 103.5, T0 + timedelta(days=1)))
    assert fill.price == Decimal(104)


def test_bracket_legs_wait_for_entry_then_cancel_each_other() -> None:
    v, _ = venue()
    br = v.submit_bracket(intent("e", qty="10"), take_profit=Decimal(110), stop_loss=Decimal(95))
    assert br.take_profit.status is OrderStatus.SUBMITTED
    assert v.on_bar_ohlc(bar(100, 111, 94, 100)) != ()  # only the entry fills in its own bar
    assert v.positions()[GLD].quantity == 10
    (exit_fill,) = v.on_bar_ohlc(bar(101, 111, 100, 109, T0 + timedelta(days=1)))
    assert exit_fill.client_order_id == "e-tp"
    assert exit_fill.price == Decimal(110)
    assert v.order(ClientOrderId("e-sl")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert GLD not in v.positions()
    with pytest.raises(BrokerError, match="inverted"):
        v.submit_bracket(intent("x"), take_profit=Decimal(90), stop_loss=Decimal(95))


def test_bracket_both_legs_touched_resolves_by_fill_model() -> None:
    outcomes = {}
    for model in (FillModel.NEXT_OPEN, FillModel.INTRABAR_PATH):
        v, _ = venue(VenueRules(fill_model=model))
        v.submit_bracket(intent("e"), take_profit=Decimal(110), stop_loss=Decimal(95))
        v.on_bar_ohlc(bar(100, 100, 100, 100))
        # open 108 is nearer the high 111 than the low 94: the path reaches the take-profit first
        (fill,) = v.on_bar_ohlc(bar(108, 111, 94, 100, T0 + timedelta(days=1)))
        outcomes[model] = fill.client_order_id
    assert outcomes == {FillModel.NEXT_OPEN: "e-sl", FillModel.INTRABAR_PATH: "e-tp"}


def test_cancelling_a_bracket_entry_cancels_its_legs() -> None:
    v, _ = venue()
    v.submit_bracket(intent("e"), take_profit=Decimal(110), stop_loss=Decimal(95))
    assert v.cancel(ClientOrderId("e")).status is OrderStatus.CANCELLED
    assert v.order(ClientOrderId("e-tp")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert v.cancel(ClientOrderId("e")).status is OrderStatus.CANCELLED  # idempotent
    assert v.open_orders() == []


def test_participation_cap_gives_partial_fills_and_ioc_fok() -> None:
    v, _ = venue(VenueRules(participation=0.1))
    v.submit(intent("big", qty="250", time_in_force=TimeInForce.GTC))
    (first,) = v.on_bar_ohlc(bar(100, 101, 99, 100, volume=1000))
    assert first.quantity == 100
    assert v.order(ClientOrderId("big")).status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]
    v.on_bar_ohlc(bar(100, 101, 99, 100, T0 + timedelta(days=1), volume=1000))
    (last,) = v.on_bar_ohlc(bar(102, 103, 101, 102, T0 + timedelta(days=2), volume=1000))
    order = v.order(ClientOrderId("big"))
    assert order is not None
    assert (order.status, order.filled_quantity, last.quantity) == (OrderStatus.FILLED, Decimal(250), Decimal(50))
    assert order.average_fill_price == (Decimal(100) * 200 + Decimal(102) * 50) / 250
    v.submit(intent("ioc", qty="250", time_in_force=TimeInForce.IOC))
    v.submit(intent("fok", qty="250", time_in_force=TimeInForce.FOK))
    t3 = T0 + timedelta(days=3)
    (ioc_fill,) = v.on_bar_ohlc(bar(100, 101, 99, 100, t3, volume=1000))
    assert ioc_fill.quantity == 100
    assert v.order(ClientOrderId("ioc")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert v.order(ClientOrderId("fok")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]


def test_day_orders_expire_and_ioc_limits_die_unfilled() -> None:
    v, _ = venue()
    v.submit(intent("day", order_type=OrderType.LIMIT, limit_price=Decimal(90)))
    v.submit(intent("ioc", order_type=OrderType.LIMIT, limit_price=Decimal(90), time_in_force=TimeInForce.IOC))
    assert v.on_bar_ohlc(bar(100, 101, 99, 100)) == ()
    assert v.order(ClientOrderId("ioc")).status is OrderStatus.EXPIRED  # type: ignore[union-attr]
    assert v.on_bar_ohlc(bar(100, 101, 89, 100, T0 + timedelta(days=1))) == ()
    assert v.order(ClientOrderId("day")).status is OrderStatus.EXPIRED  # type: ignore[union-attr]


def test_latency_delays_the_first_possible_fill() -> None:
    v, clock = venue(VenueRules(latency=timedelta(seconds=90)))
    clock.advance_to(T0)
    v.submit(intent("a"))
    assert v.on_bar(GLD, 100.0, T0 + timedelta(minutes=1)) == ()
    (fill,) = v.on_bar(GLD, 101.0, T0 + timedelta(minutes=2))
    assert fill.price == Decimal(101)


def test_quote_model_crosses_spread_and_quotes_cap_size() -> None:
    v, _ = venue(VenueRules(fill_model=FillModel.QUOTE, spread_bps=Decimal(20)))
    v.submit(intent("a"))
    (fill,) = v.on_bar_ohlc(bar(100, 100, 100, 100))
    assert fill.price == Decimal("100.10")
    v.submit(intent("b", Side.SELL, qty="30"))
    v.submit(intent("c", Side.SELL, order_type=OrderType.LIMIT, limit_price=Decimal(102)))
    v.submit(intent("d", Side.BUY, order_type=OrderType.STOP, stop_price=Decimal(103)))
    v.submit(intent("e", order_type=OrderType.STOP_LIMIT, stop_price=Decimal(100), limit_price=Decimal(101)))
    fills = v.on_quote(Quote(GLD, T0, T0, 99.9, 100.1, 20, 20))
    assert [(f.client_order_id, f.quantity, f.price) for f in fills] == [
        (ClientOrderId("b"), Decimal(20), Decimal("99.9")),
        (ClientOrderId("e"), Decimal(10), Decimal("100.1")),
    ]


def test_futures_margin_rejects_orders_beyond_equity() -> None:
    rules = VenueRules(initial_margin={GC: Decimal(10_000)})
    v, _ = venue(rules, cash="25000", commission=FuturesCommission(), multipliers={GC: Decimal(100)})
    ok = v.submit(intent("one", qty="2", instrument=GC))
    assert ok.status is OrderStatus.ACCEPTED
    (fill,) = v.on_bar_ohlc(bar(2000, 2001, 1999, 2000, inst=GC))
    assert fill.commission == Decimal("4.70")
    refused = v.submit(intent("two", qty="1", instrument=GC))
    assert refused.status is OrderStatus.REJECTED
    assert "insufficient margin for GC" in (refused.reject_reason or "")
    rejected_bracket = v.submit_bracket(intent("br", qty="5", instrument=GC), Decimal(2100), Decimal(1900))
    assert rejected_bracket.stop_loss.status is OrderStatus.CANCELLED


def test_commission_schedules() -> None:
    assert PerShareCommission()(Decimal(100), Decimal(50)) == Decimal("1.00")
    assert BpsCommission(Decimal(5), Decimal("0.5"))(Decimal(100), Decimal(50)) == Decimal("2.50")
    assert BpsCommission(Decimal(1))(Decimal(1), Decimal(10), Decimal(100)) == Decimal("0.10")
    assert FuturesCommission(Decimal(1), Decimal(2))(Decimal(3), Decimal(2000), Decimal(100)) == Decimal(9)


def test_rules_and_slippage_validate() -> None:
    with pytest.raises(ValueError, match=r"venue\.participation"):
        VenueRules(participation=1.5)
    with pytest.raises(ValueError, match=r"venue\.latency"):
        VenueRules(latency=timedelta(seconds=-1))
    with pytest.raises(ValueError, match=r"venue\.spread_bps"):
        VenueRules(spread_bps=Decimal(-1))
    with pytest.raises(ValueError, match="slippage"):
        Slippage(ticks=-1)
    assert Slippage(ticks=2, tick_size=Decimal("0.05")).apply(Decimal(10), Side.SELL) == Decimal("9.90")


@settings(max_examples=60, deadline=None)
@given(
    trades=st.lists(
        st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 500), st.integers(1000, 30000)),
        min_size=1,
        max_size=25,
    )
)
def test_cash_and_positions_reconcile_with_fills(trades: list[tuple[Side, int, int]]) -> None:
    """Invariant: cash = start - sum(signed notional + commission); position = sum(signed qty)."""
    v, _ = venue()
    for k, (side, qty, cents) in enumerate(trades):
        v.submit(intent(f"o{k}", side, str(qty)))
        v.on_bar(GLD, cents / 100, T0 + timedelta(days=k))
    fills, cursor = v.fills_since(0)
    assert cursor == len(trades)
    expected_cash = Decimal(100000) - sum(f.quantity * f.side.sign * f.price + f.commission for f in fills)
    assert v.cash() == expected_cash
    net = sum(f.quantity * f.side.sign for f in fills)
    assert v.positions().get(GLD, None) is None if net == 0 else v.positions()[GLD].quantity == net
