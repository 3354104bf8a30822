"""Routing and the planner: tick/lot rounding, marketable vs passive, slicing, brackets."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qgtm_core import (
    DEFAULT_UNIVERSE,
    AccountState,
    CorrelationId,
    InstrumentId,
    OrderType,
    PipelineError,
    Position,
    Side,
    TargetPortfolio,
    TimeInForce,
    client_order_id_for,
)
from qgtm_execution import (
    MarketContext,
    OrderStyle,
    Quote,
    Router,
    RoutingPolicy,
    SliceMethod,
    TargetOrderPlanner,
    Urgency,
    parse_slice,
)

GLD = InstrumentId("GLD")
INSTR = DEFAULT_UNIVERSE[GLD]
CID = CorrelationId("sig-20240301-211500-abcd")
T = datetime(2024, 3, 1, 21, 15, tzinfo=UTC)
TIGHT = Quote(Decimal("180.00"), Decimal("180.02"))
WIDE = Quote(Decimal("179.00"), Decimal("181.00"))


def route(policy, side=Side.BUY, qty="10", ctx=None, opening=False):
    return Router(policy).route(
        INSTR, side, Decimal(qty), CID, ctx or MarketContext(Decimal(180), TIGHT), opening=opening
    )


def test_default_policy_is_one_market_order_with_the_derived_id():
    (only,) = route(RoutingPolicy())
    assert only.order_type is OrderType.MARKET
    assert only.client_order_id == client_order_id_for(CID, GLD, "entry")


def test_tight_spread_gives_a_marketable_limit_wide_spread_a_passive_one():
    buy = route(RoutingPolicy(style=OrderStyle.LIMIT))[0]
    assert buy.order_type is OrderType.LIMIT
    assert buy.limit_price == TIGHT.ask + INSTR.tick_size  # crosses by one tick
    passive = route(RoutingPolicy(style=OrderStyle.LIMIT), ctx=MarketContext(Decimal(180), WIDE))[0]
    assert passive.limit_price == WIDE.bid
    sell = route(RoutingPolicy(style=OrderStyle.LIMIT), side=Side.SELL, ctx=MarketContext(Decimal(180), WIDE))[0]
    assert sell.limit_price == WIDE.ask


def test_urgency_overrides_the_spread_rule():
    wide = MarketContext(Decimal(180), WIDE)
    assert route(RoutingPolicy(style=OrderStyle.LIMIT, urgency=Urgency.HIGH), ctx=wide)[0].limit_price > WIDE.ask
    assert route(RoutingPolicy(style=OrderStyle.LIMIT, urgency=Urgency.LOW))[0].limit_price == TIGHT.bid


def test_no_quote_falls_back_to_market():
    assert (
        route(RoutingPolicy(style=OrderStyle.LIMIT), ctx=MarketContext(Decimal(180)))[0].order_type is OrderType.MARKET
    )


@given(st.decimals(min_value=Decimal("1.001"), max_value=Decimal("5000"), places=3))
def test_limit_prices_are_always_on_the_tick(bid):
    q = Quote(bid, bid + Decimal("0.037"))
    for side in Side:
        for urgency in Urgency:
            price = route(RoutingPolicy(style=OrderStyle.LIMIT, urgency=urgency), side, ctx=MarketContext(bid, q))[0]
            assert price.limit_price is not None
            assert price.limit_price % INSTR.tick_size == 0


@given(st.integers(min_value=1, max_value=100_000), st.integers(min_value=1, max_value=50_000))
def test_slices_sum_to_the_order_in_whole_lots(qty, volume):
    policy = RoutingPolicy(max_participation=0.1, max_slices=7)
    intents = route(policy, qty=str(qty), ctx=MarketContext(Decimal(180), None, Decimal(volume)))
    assert sum(i.quantity for i in intents) == qty
    assert all(i.quantity % INSTR.lot_size == 0 and i.quantity > 0 for i in intents)
    assert len(intents) <= 7
    assert len({i.client_order_id for i in intents}) == len(intents)


def test_vwap_follows_the_volume_profile():
    policy = RoutingPolicy(max_participation=0.1, slicing=SliceMethod.VWAP)
    ctx = MarketContext(Decimal(180), None, Decimal(100), (3.0, 1.0))
    intents = route(policy, qty="20", ctx=ctx)
    assert [i.quantity for i in intents] == [Decimal(15), Decimal(5)]
    assert [parse_slice(i.leg) for i in intents] == [(1, 2), (2, 2)]
    flat = route(policy, qty="20", ctx=MarketContext(Decimal(180), None, Decimal(100), (0.0, 0.0)))
    assert [i.quantity for i in flat] == [Decimal(10), Decimal(10)]
    assert parse_slice("entry") is None


def test_brackets_only_when_opening_with_exit_prices_on_the_tick():
    policy = RoutingPolicy(take_profit=0.05, stop_loss=0.02)
    entry, tp, sl = route(policy, opening=True)
    assert (tp.side, tp.order_type, tp.limit_price, tp.parent) == (
        Side.SELL,
        OrderType.LIMIT,
        Decimal("189.00"),
        entry.client_order_id,
    )
    assert (sl.order_type, sl.stop_price, sl.time_in_force) == (OrderType.STOP, Decimal("176.40"), TimeInForce.GTC)
    short = route(policy, side=Side.SELL, opening=True)
    assert short[1].limit_price == Decimal("171.00")
    assert short[2].stop_price == Decimal("183.60")
    assert len(route(policy, opening=False)) == 1


def test_quote_refuses_crossed_markets():
    with pytest.raises(ValueError, match="crossed"):
        Quote(Decimal(2), Decimal(1))


def account(positions=None, cash="100000"):
    return AccountState(T, Decimal(cash), positions or {})


def test_planner_rounds_to_lots_and_marks_opening_orders():
    planner = TargetOrderPlanner(DEFAULT_UNIVERSE, router=Router(RoutingPolicy(stop_loss=0.02)))
    intents = planner.plan(TargetPortfolio(T, {GLD: 0.5}), account(), {GLD: Decimal("180.7")}, CID)
    assert intents[0].quantity == Decimal(276)  # 50_000 / 180.7 = 276.7 rounded toward zero
    assert intents[1].leg == "stop_loss"
    held = {GLD: Position(GLD, Decimal(276), Decimal(180))}
    reduce = planner.plan(TargetPortfolio(T, {GLD: 0.1}), account(held, "50000"), {GLD: Decimal(180)}, CID)
    assert [i.side for i in reduce] == [Side.SELL]  # reducing never gets a bracket


def test_planner_skips_small_changes_and_needs_prices():
    planner = TargetOrderPlanner(DEFAULT_UNIVERSE, min_trade_weight=0.05)
    assert planner.plan(TargetPortfolio(T, {GLD: 0.01}), account(), {GLD: Decimal(180)}, CID) == ()
    assert planner.plan(TargetPortfolio(T, {GLD: 0.5}), account(cash="0"), {GLD: Decimal(180)}, CID) == ()
    with pytest.raises(PipelineError, match="no price for GLD"):
        planner.plan(TargetPortfolio(T, {GLD: 0.5}), account(), {}, CID)
    tiny = planner.plan(TargetPortfolio(T, {GLD: 0.06}), account(cash="100"), {GLD: Decimal(180)}, CID)
    assert tiny == ()  # rounds to zero shares


def test_planner_refuses_a_non_finite_target_weight():
    planner = TargetOrderPlanner(DEFAULT_UNIVERSE)
    with pytest.raises(PipelineError, match="target weight of GLD is nan"):
        planner.plan(TargetPortfolio(T, {GLD: float("nan")}), account(), {GLD: Decimal(180)}, CID)
