"""Shared parts: entry filters, exit managers, the session mask, the book and the eigen strategy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from qgtm_core import Direction, FeatureSet, InstrumentId
from qgtm_strategies import (
    EigenDivergence,
    EigenDivergenceParams,
    FixedTakeProfit,
    GoldTrend,
    MaxHoldingTime,
    RateGate,
    RMultipleTrailingStop,
    SessionMask,
    SessionWindow,
    StrategyBook,
    Trade,
    TradeBook,
    TrendFilter,
    VolatilityFilter,
    build_strategies,
    cubic_convex,
    ramp,
)
from qgtm_strategies._reversion import ThresholdParams

AT = datetime(2020, 1, 2, 21, 15, tzinfo=UTC)
GLD = InstrumentId("GLD")


def gld(**values: float) -> FeatureSet:
    return FeatureSet(at=AT, values={GLD: values})


def test_volatility_filter_blocks_entries_outside_its_band() -> None:
    vol = VolatilityFilter(max_vol=0.3, min_vol=0.05)
    assert vol.allows(GLD, Direction.LONG, gld(vol_cc_20=0.2))
    assert not vol.allows(GLD, Direction.LONG, gld(vol_cc_20=0.5))
    assert not vol.allows(GLD, Direction.LONG, gld(vol_cc_20=0.01))
    assert not vol.allows(GLD, Direction.LONG, gld())
    with pytest.raises(ValueError, match="min_vol < max_vol"):
        VolatilityFilter(max_vol=0.1, min_vol=0.2)


def test_trend_filter_trades_with_the_tide() -> None:
    trend = TrendFilter()
    assert trend.allows(GLD, Direction.LONG, gld(close=110.0, sma_slow=100.0))
    assert not trend.allows(GLD, Direction.SHORT, gld(close=110.0, sma_slow=100.0))
    assert trend.allows(GLD, Direction.SHORT, gld(close=90.0, sma_slow=100.0))
    assert not trend.allows(GLD, Direction.LONG, gld(close=90.0))


def test_rate_gate_allows_one_flip_per_window() -> None:
    gate = RateGate(min_bars=3)
    f = gld()
    assert gate.allows(GLD, Direction.LONG, f)  # call 1: first entry
    assert not gate.allows(GLD, Direction.SHORT, f)  # call 2: flip too soon
    assert gate.allows(GLD, Direction.LONG, f)  # call 3: keeping the direction is fine
    assert gate.allows(GLD, Direction.SHORT, f)  # call 4: three calls after the entry
    with pytest.raises(ValueError, match="at least 1"):
        RateGate(0)


def test_entry_filters_turn_a_blocked_view_flat_and_say_why() -> None:
    strategy = GoldTrend(entry_filters=[VolatilityFilter(max_vol=0.3)])
    (signal,) = strategy.generate(gld(sma_fast=105.0, sma_slow=100.0, vol_cc_20=0.5))
    assert signal.direction is Direction.FLAT
    assert signal.conviction == 0.0
    assert "blocked by volatility" in signal.rationale
    (signal,) = strategy.generate(gld(sma_fast=105.0, sma_slow=100.0, vol_cc_20=0.1))
    assert signal.direction is Direction.LONG
    assert signal.conviction == 1.0
    assert signal.size_hint == pytest.approx(strategy.params.max_size)


def test_take_profit_and_max_hold_close_trades() -> None:
    book = TradeBook([FixedTakeProfit(0.03), MaxHoldingTime(5)])
    book.open_trade("GLD", Direction.LONG, 100.0, bar=0, risk=0.02)
    book.open_trade("SLV", Direction.SHORT, 20.0, bar=0, risk=0.02)
    book.open_trade("SPY", Direction.FLAT, 300.0, bar=0, risk=0.02)
    assert set(book.open) == {"GLD", "SLV"}
    assert book.update({"GLD": 102.0, "SLV": 20.0}, bar=1) == []
    assert book.update({"GLD": 103.5, "SLV": 20.1}, bar=2) == [("GLD", "take_profit")]
    assert book.update({"SLV": float("nan")}, bar=4) == []  # no price, no decision
    assert book.update({"SLV": 19.9}, bar=5) == [("SLV", "max_hold")]
    assert book.closed == [("GLD", "take_profit"), ("SLV", "max_hold")]
    with pytest.raises(ValueError, match="positive"):
        FixedTakeProfit(0.0)
    with pytest.raises(ValueError, match="at least 1 bar"):
        MaxHoldingTime(0)


def test_r_multiple_trailing_stop() -> None:
    stop = RMultipleTrailingStop(activate_r=1.0, trail_r=1.0)
    long = Trade(Direction.LONG, 100.0, 0, 0.02, 100.0)
    assert stop.check(long, 98.5, 1) is None
    assert stop.check(long, 97.9, 2) == "stop_loss"  # -2.1% < -1R
    long = Trade(Direction.LONG, 100.0, 0, 0.02, 100.0)
    assert stop.check(long, 104.0, 1) is None  # +2R, trailing is active
    assert stop.check(long, 102.5, 2) is None  # gave back 1.5% < 1R
    assert stop.check(long, 101.9, 3) == "trailing_stop"  # gave back 2.1% >= 1R
    short = Trade(Direction.SHORT, 100.0, 0, 0.02, 100.0)
    assert stop.check(short, 95.0, 1) is None
    assert short.best_price == 95.0
    assert stop.check(short, 97.5, 2) == "trailing_stop"
    with pytest.raises(ValueError, match="trail_r > 0"):
        RMultipleTrailingStop(trail_r=0.0)


def test_session_mask_is_configuration_only() -> None:
    ny_lunch = datetime(2024, 7, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York (EDT)
    tokyo = datetime(2024, 7, 10, 2, 0, tzinfo=UTC)  # 11:00 in Tokyo
    saturday = datetime(2024, 7, 13, 16, 0, tzinfo=UTC)
    mask = SessionMask()
    assert mask.windows_at(ny_lunch) == [SessionWindow.US_REGULAR]
    assert mask.windows_at(tokyo) == [SessionWindow.ASIA]
    assert mask.windows_at(saturday) == []
    us_only = SessionMask(enabled=frozenset({SessionWindow.US_REGULAR}), outside_windows=False)
    assert us_only.allows(ny_lunch)
    assert not us_only.allows(tokyo)
    assert not us_only.allows(saturday)
    assert SessionMask(enabled=frozenset(), outside_windows=True).allows(saturday)
    assert SessionMask.model_validate({"enabled": ["asia"]}).allows(tokyo)  # from TOML, no code
    with pytest.raises(ValidationError):
        SessionMask.model_validate({"enabled": ["moon"]})
    with pytest.raises(ValueError, match="naive"):
        mask.allows(datetime(2024, 7, 10, 16, 0))


def test_book_respects_the_session_mask() -> None:
    features = FeatureSet(at=datetime(2024, 7, 10, 16, 0, tzinfo=UTC), values={GLD: {"sma_fast": 2.0, "sma_slow": 1.0}})
    open_book = StrategyBook(build_strategies(["gold_trend"]))
    assert len(open_book.generate(features)) == 1
    closed = StrategyBook(open_book.strategies, SessionMask(enabled=frozenset({SessionWindow.ASIA})))
    assert closed.generate(features) == ()


def test_threshold_params_and_ramp_validate() -> None:
    with pytest.raises(ValidationError, match="must exceed entry"):
        ThresholdParams(entry=2.0, full=1.0)
    with pytest.raises(ValueError, match="must exceed start"):
        ramp(1.0, 2.0, 2.0)
    assert ramp(1.5, 1.0, 2.0) == 0.5


def test_cubic_convex_sizing() -> None:
    assert cubic_convex(0.0) == 0.0
    assert cubic_convex(1.0) == 1.0
    assert cubic_convex(0.5) == pytest.approx(0.125)
    assert cubic_convex(0.1) == 0.05  # floored: a live impulse never sizes to nothing
    assert cubic_convex(0.8) - cubic_convex(0.7) > cubic_convex(0.3) - cubic_convex(0.2)  # convex


def _bar(prices: dict[str, float], divergence: float) -> FeatureSet:
    return FeatureSet(
        at=AT, values={InstrumentId(k): {"close": v} for k, v in prices.items()}, cross={"eig_divergence": divergence}
    )


def test_eigen_divergence_learns_impulse_responses_and_trades_the_best_responder() -> None:
    params = EigenDivergenceParams(
        instruments=("GLD", "SLV", "SPY"), threshold=0.01, full=0.02, response_bars=2, take_profit=0.05, max_hold=4
    )
    strategy = EigenDivergence(params)
    prices = {"GLD": 100.0, "SLV": 20.0, "SPY": 300.0}
    # first impulse: nothing learned yet, so no trade
    assert all(s.direction is Direction.FLAT for s in strategy.generate(_bar(prices, 0.02)))
    strategy.generate(_bar(prices, 0.0))
    # two bars after the impulse: gold +4%, silver -5%, SPY flat -> gold responds best, silver worst
    after = {"GLD": 104.0, "SLV": 19.0, "SPY": 300.0}
    strategy.generate(_bar(after, 0.0))
    assert [name for name, _ in strategy.ranking()] == ["GLD", "SPY", "SLV"]
    # second impulse at 3/4 strength: long gold, short silver, cubic-convex size
    signals = {s.instrument: s for s in strategy.generate(_bar(after, 0.0175))}
    assert signals[InstrumentId("GLD")].direction is Direction.LONG
    assert signals[InstrumentId("SLV")].direction is Direction.SHORT
    assert signals[InstrumentId("SPY")].direction is Direction.FLAT
    assert signals[InstrumentId("GLD")].conviction == pytest.approx(0.75**3)
    # staying above the threshold is not a new impulse; the trade is held
    held = {s.instrument: s for s in strategy.generate(_bar(after, 0.03))}
    assert held[InstrumentId("GLD")].direction is Direction.LONG
    # take profit on gold (+5%), silver held until the maximum holding time
    moved = {"GLD": 109.3, "SLV": 19.0, "SPY": 300.0}
    out = {s.instrument: s.direction for s in strategy.generate(_bar(moved, 0.0))}
    assert out[InstrumentId("GLD")] is Direction.FLAT
    assert out[InstrumentId("SLV")] is Direction.SHORT
    strategy.generate(_bar(moved, 0.0))
    out = {s.instrument: s.direction for s in strategy.generate(_bar(moved, 0.0))}
    assert out[InstrumentId("SLV")] is Direction.FLAT  # closed after max_hold bars


def test_eigen_divergence_long_only_takes_one_leg() -> None:
    params = EigenDivergenceParams(
        instruments=("GLD", "SLV"), threshold=0.01, full=0.02, response_bars=1, allow_short=False
    )
    strategy = EigenDivergence(params)
    strategy.generate(_bar({"GLD": 100.0, "SLV": 20.0}, 0.02))
    strategy.generate(_bar({"GLD": 101.0, "SLV": 19.0}, 0.0))
    signals = {s.instrument: s.direction for s in strategy.generate(_bar({"GLD": 101.0, "SLV": 19.0}, 0.02))}
    assert signals == {InstrumentId("GLD"): Direction.LONG, InstrumentId("SLV"): Direction.FLAT}
