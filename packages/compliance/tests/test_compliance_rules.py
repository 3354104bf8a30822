"""The rule book, each rule, and the composed gate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from _compliance_helpers import account, at, fill, target

from qgtm_compliance import (
    COMEX_LEVELS_2006,
    FEDERAL_LEVELS_2021,
    INTRADAY_MARGIN_EFFECTIVE,
    CftcPositionRule,
    DatedRuleSet,
    IntradayMarginRule,
    PatternDayTraderRule,
    PositionLimitCompliance,
    RuleBook,
    RuleBookCompliance,
    RuleContext,
    TradeHistory,
    WashSaleRule,
    build_compliance_gate,
    business_days_back,
    default_rule_book,
)
from qgtm_core import (
    DEFAULT_UNIVERSE,
    ComplianceAction,
    ComplianceRule,
    ConfigError,
    InstrumentId,
    PipelineError,
    Side,
)
from qgtm_core.config import ComplianceConfig

GLD, SLV, GC, SI, SPY = (InstrumentId(s) for s in ("GLD", "SLV", "GC", "SI", "SPY"))


def _ctx(day: date, cash: float, holdings: dict[str, float] | None = None, history: TradeHistory | None = None):
    return RuleContext(at(day), account(at(day), cash, holdings), history or TradeHistory(), DEFAULT_UNIVERSE)


def test_rule_book_picks_the_set_in_force_on_the_target_date() -> None:
    book = default_rule_book(0.35)
    assert [s.effective for s in book.sets] == [date(2001, 9, 28), date(2021, 3, 15), date(2026, 6, 4)]
    assert "pattern day trader" in book.active(date(2026, 6, 3)).label
    assert "intraday margin" in book.active(INTRADAY_MARGIN_EFFECTIVE).label
    assert "COMEX" in book.active(date(2021, 3, 14)).label
    assert "federal" in book.active(date(2021, 3, 15)).label
    with pytest.raises(PipelineError, match="no rule set in force on 1999-01-04"):
        book.active(date(1999, 1, 4))


def test_rule_book_rejects_empty_and_duplicate_dates() -> None:
    with pytest.raises(ConfigError, match="at least one"):
        RuleBook([])
    same = DatedRuleSet(date(2020, 1, 1), "a", ())
    with pytest.raises(ConfigError, match="share an effective date"):
        RuleBook([same, DatedRuleSet(date(2020, 1, 1), "b", ())])


def test_gate_reports_restricted_position_and_asset_class_cuts() -> None:
    gate = RuleBookCompliance(
        default_rule_book(0.35, ["SIL"], asset_class_limits={"metal_etf": 0.5}, instrument_limits={"SPY": 0.2}),
        DEFAULT_UNIVERSE,
    )
    when = at(date(2024, 7, 1))
    result = gate.check(target(when, {"GLD": 0.5, "SLV": 0.3, "SIL": 0.1, "SPY": -0.3}), account(when, 100_000))
    approved = result.approved.weights
    assert approved[InstrumentId("SIL")] == 0.0
    assert approved[SPY] == -0.2
    assert abs(approved[GLD]) + abs(approved[SLV]) == pytest.approx(0.5)
    assert approved[GLD] / approved[SLV] == pytest.approx(0.35 / 0.3)
    rules = {(v.rule, v.instrument) for v in result.violations}
    assert (ComplianceRule.RESTRICTED_LIST, InstrumentId("SIL")) in rules
    assert (ComplianceRule.POSITION_LIMIT, GLD) in rules
    assert (ComplianceRule.POSITION_LIMIT, SPY) in rules
    assert (ComplianceRule.ASSET_CLASS_LIMIT, SLV) in rules
    with pytest.raises(PipelineError, match=r"unknown instrument\(s\) ZZZ"):
        gate.check(target(when, {"ZZZ": 0.1}), account(when, 100_000))


def test_cftc_rule_reduces_above_limit_and_flags_before_crossing_levels() -> None:
    rule = CftcPositionRule(FEDERAL_LEVELS_2021, warn_fraction=0.9)
    # $2bn of equity; one GC contract is 2000 * 100 = $200,000, so weight 1.0 is 10,000 contracts.
    ctx = _ctx(date(2024, 7, 1), 2_000_000_000)
    weights = {GC: 1.0, SI: 0.0}
    out = rule.apply(weights, ctx)
    assert weights[GC] == pytest.approx(6_000 * 200_000 / 2e9)
    assert out[0].rule is ComplianceRule.CFTC_POSITION_LIMIT
    assert out[0].action is ComplianceAction.REDUCE
    assert "150.2" in out[0].message
    # 5,500 contracts: within 10% of the limit, flagged but allowed.
    weights = {GC: 5_500 * 200_000 / 2e9}
    (near, report) = rule.apply(weights, ctx)
    assert (near.action, near.rule) == (ComplianceAction.FLAG, ComplianceRule.CFTC_POSITION_LIMIT)
    assert report.rule is ComplianceRule.LARGE_TRADER_REPORTING
    # Silver: $10m equity, one SI contract is 25 * 5000 = $125,000. 0.25 -> 20 contracts: nothing.
    small = _ctx(date(2024, 7, 1), 10_000_000)
    assert rule.apply({SI: 0.25}, small) == []
    # 1.4 -> 112 contracts: nears the 150 reportable level after the 0.9 warning fraction? no (135).
    assert rule.apply({SI: 1.4}, small) == []
    # 1.7 -> 136 contracts: within 90% of 150, flagged before the level is crossed.
    (nearing,) = rule.apply({SI: 1.7}, small)
    assert nearing.rule is ComplianceRule.LARGE_TRADER_REPORTING
    assert "nears" in nearing.message
    (crossing,) = rule.apply({SI: 2.0}, small)
    assert "crosses" in crossing.message
    assert COMEX_LEVELS_2006["SI"].position_limit == 1_500


def test_cftc_rule_blocks_increase_without_a_mark() -> None:
    rule = CftcPositionRule(FEDERAL_LEVELS_2021)
    when = at(date(2024, 7, 1))
    ctx = RuleContext(when, account(when, 1_000_000, marks={"GLD": "180"}), TradeHistory(), DEFAULT_UNIVERSE)
    weights = {GC: 0.2}
    (blocked,) = rule.apply(weights, ctx)
    assert weights[GC] == 0.0
    assert blocked.action is ComplianceAction.BLOCK
    assert rule.apply({GC: 0.0}, ctx) == []


def _day_trading_history(day: date, round_trips: int) -> TradeHistory:
    history = TradeHistory()
    for k in range(round_trips):
        history.record_fill(fill(f"b{k}", "GLD", Side.BUY, 10, "180", at(day, 14), order=f"ob{k}"))
        history.record_fill(fill(f"s{k}", "GLD", Side.SELL, 10, "181", at(day, 15), order=f"os{k}"))
    return history


def test_pattern_day_trader_blocks_the_fourth_day_trade_below_25000() -> None:
    day = date(2024, 7, 2)
    rule = PatternDayTraderRule()
    history = _day_trading_history(day, 3)
    assert history.day_trades(business_days_back(day, 5)) == 3
    ctx = _ctx(day, 20_000, {"GLD": 10}, history)
    current = ctx.current(GLD)
    weights = {GLD: 0.0, SPY: 0.1}  # selling GLD today after buying it: a 4th day trade
    (blocked,) = rule.apply(weights, ctx)
    assert blocked.rule is ComplianceRule.PATTERN_DAY_TRADER
    assert weights[GLD] == current
    assert weights[SPY] == 0.1  # not traded today: not a day trade
    rich = _ctx(day, 30_000, {"GLD": 10}, history)
    assert rule.apply({GLD: 0.0}, rich) == []
    fewer = _ctx(day, 20_000, {"GLD": 10}, _day_trading_history(day, 2))
    assert rule.apply({GLD: 0.0}, fewer) == []  # only the 3rd day trade
    futures = _ctx(day, 20_000, {"GC": 1}, history)
    assert rule.apply({GC: 0.0}, futures) == []  # futures are not under Rule 4210


def test_day_trades_outside_five_business_days_do_not_count() -> None:
    history = _day_trading_history(date(2024, 6, 24), 4)
    days = business_days_back(date(2024, 7, 2), 5)
    assert days[0] == date(2024, 6, 26)
    assert history.day_trades(days) == 0
    assert history.trades(business_days_back(date(2024, 6, 24), 5)) == 8
    assert history.record_fill(fill("b0", "GLD", Side.BUY, 10, "180", at(date(2024, 6, 24)))) is False


def test_pattern_day_trader_counts_from_today_on_a_weekend_target() -> None:
    day = date(2024, 7, 6)  # a Saturday: not a session, still "today" for the count
    history = _day_trading_history(day, 3)
    ctx = _ctx(day, 20_000, {"GLD": 10}, history)
    assert PatternDayTraderRule().apply({GLD: 0.0}, ctx)[0].rule is ComplianceRule.PATTERN_DAY_TRADER


def test_intraday_margin_scales_increases_to_equity() -> None:
    rule = IntradayMarginRule()
    ctx = _ctx(date(2026, 7, 1), 100_000)
    weights = {GLD: 3.0, SPY: -2.0, GC: 5.0}  # requirement 0.75 + 0.6 = 1.35 of equity; GC exempt
    out = rule.apply(weights, ctx)
    assert {v.instrument for v in out} == {GLD, SPY}
    assert 0.25 * weights[GLD] + 0.30 * -weights[SPY] == pytest.approx(1.0)
    assert weights[GC] == 5.0
    assert rule.apply({GLD: 1.0}, ctx) == []
    poor = _ctx(date(2026, 7, 1), 1_500)
    weights = {GLD: 0.5}
    (blocked,) = rule.apply(weights, poor)
    assert (blocked.action, weights[GLD]) == (ComplianceAction.BLOCK, 0.0)
    assert rule.apply({GLD: 0.0}, poor) == []


def test_intraday_margin_sign_flip_grows_from_zero() -> None:
    rule = IntradayMarginRule()
    ctx = _ctx(date(2026, 7, 1), 100_000, {"GLD": -100})  # short 18% of equity
    weights = {GLD: 6.0}
    rule.apply(weights, ctx)
    assert weights[GLD] == pytest.approx(4.0)


def test_wash_sale_rule_flags_or_blocks_buys_inside_the_window() -> None:
    day = date(2024, 3, 5)
    history = TradeHistory()
    history.record_fill(fill("b", "GLD", Side.BUY, 10, "200", at(date(2024, 1, 2))))
    history.record_fill(fill("s", "GLD", Side.SELL, 10, "180", at(date(2024, 3, 1))))
    ctx = _ctx(day, 100_000, None, history)
    weights = {GLD: 0.2, SLV: 0.1}
    (flag,) = WashSaleRule().apply(weights, ctx)
    assert flag.action is ComplianceAction.FLAG
    assert "200.00" in flag.message
    assert weights[GLD] == 0.2
    (block,) = WashSaleRule(block=True).apply(weights, ctx)
    assert (block.action, weights[GLD]) == (ComplianceAction.BLOCK, 0.0)
    later = _ctx(date(2024, 4, 1), 100_000, None, history)
    assert WashSaleRule(block=True).apply({GLD: 0.2}, later) == []


def test_gate_replays_fills_and_reports_wash_sales() -> None:
    gate = RuleBookCompliance(default_rule_book(0.35, block_wash_sales=True), DEFAULT_UNIVERSE)
    fills = [
        fill("b", "GLD", Side.BUY, 10, "200", at(date(2024, 1, 2))),
        fill("s", "GLD", Side.SELL, 10, "180", at(date(2024, 3, 1))),
    ]
    assert gate.replay(fills) == 2
    assert gate.record_fill(fills[0]) is False
    when = at(date(2024, 3, 4))
    result = gate.check(target(when, {"GLD": 0.3}), account(when, 100_000))
    assert result.approved.weights[GLD] == 0.0
    assert result.violations[0].rule is ComplianceRule.WASH_SALE
    gate.record_fill(fill("b2", "GLD", Side.BUY, 10, "190", at(date(2024, 3, 10))))
    dispositions, adjustments = gate.wash_sales()
    assert dispositions[0].disallowed_loss == 200
    assert adjustments[0].replacement_lot_id == "b2"
    assert gate.book.active(date(2024, 3, 4)).effective == date(2021, 3, 15)


def test_first_version_gate_still_works() -> None:
    when = at(date(2024, 7, 1))
    result = PositionLimitCompliance(0.35, ["SLV"]).check(
        target(when, {"GLD": -0.5, "SLV": 0.1, "SPY": 0.1}), account(when, 1)
    )
    assert result.approved.weights == {GLD: -0.35, SLV: 0.0, SPY: 0.1}
    assert [v.rule for v in result.violations] == [ComplianceRule.POSITION_LIMIT, ComplianceRule.RESTRICTED_LIST]


def test_gate_pulls_history_from_a_fill_provider_before_each_check() -> None:
    store: list = []
    gate = RuleBookCompliance(default_rule_book(0.35, block_wash_sales=True), DEFAULT_UNIVERSE, fills=lambda: store)
    when = at(date(2024, 3, 4))
    assert gate.check(target(when, {"GLD": 0.3}), account(when, 100_000)).violations == ()
    store.extend(
        [
            fill("b", "GLD", Side.BUY, 10, "200", at(date(2024, 1, 2))),
            fill("s", "GLD", Side.SELL, 10, "180", at(date(2024, 3, 1))),
        ]
    )
    result = gate.check(target(when, {"GLD": 0.3}), account(when, 100_000))
    assert [v.rule for v in result.violations] == [ComplianceRule.WASH_SALE]
    gate.check(target(when, {"GLD": 0.3}), account(when, 100_000))  # the same fills again: no double count
    assert len(gate.history.ledger.dispositions) == 1


def test_days_are_new_york_trade_dates() -> None:
    history = TradeHistory()
    # 2024-07-02 00:30 UTC is 2024-07-01 20:30 in New York.
    history.record_fill(fill("late", "GLD", Side.BUY, 1, "180", datetime(2024, 7, 2, 0, 30, tzinfo=UTC)))
    assert history.sides_on(GLD, date(2024, 7, 1)) == {Side.BUY}
    assert history.ledger.lots(GLD)[0].acquired == date(2024, 7, 1)


def test_gate_from_configuration() -> None:
    config = ComplianceConfig(
        restricted=("SIL",),
        asset_class_limits={"metal_etf": 0.4},
        substantially_identical={"GLD": "gold", "IAU": "gold"},
        block_wash_sales=True,
    )
    gate = build_compliance_gate(config, DEFAULT_UNIVERSE)
    assert gate.history.ledger.group(InstrumentId("IAU")) == "gold"
    when = at(date(2024, 7, 1))
    result = gate.check(target(when, {"GLD": 0.3, "SLV": 0.3, "SIL": 0.1}), account(when, 100_000))
    assert result.approved.weights[InstrumentId("SIL")] == 0.0
    assert result.approved.weights[GLD] + result.approved.weights[SLV] == pytest.approx(0.4)


def test_unknown_asset_class_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown asset class 'metals'"):
        default_rule_book(0.35, asset_class_limits={"metals": 0.5})
